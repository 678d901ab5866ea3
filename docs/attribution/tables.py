# Formats docs/attribution/d*-s0/evaluation.json (written by `atrous evaluate`) as the README tables:
# `python3 docs/attribution/tables.py 1 2`. No number is typed by hand.
import json, sys, os
ROOT = os.environ.get("ROOT", os.path.dirname(os.path.abspath(__file__)))
ds = sys.argv[1:]
ev = {d: json.load(open(f"{ROOT}/d{d}-s0/evaluation.json")) for d in ds}
first = ev[ds[0]]
order = "vanilla,grad-x-input,integrated-gradients,guided-backprop,deconvnet,occlusion,grad-cam,smoothgrad".split(",")
names = [n for n in order if n in first["methods"]] + [n for n in first["methods"] if n not in order]
def ci(s): return f"{s['mean']:.3f} [{s['ci95'][0]:.3f}, {s['ci95'][1]:.3f}]"
hdr = "| ranking | " + " | ".join(f"d = {d}: deletion AUC ↓ | d = {d}: insertion AUC ↑" for d in ds) + " |"
print(hdr); print("| --- " * (1 + 2 * len(ds)) + "|")
for n in names + ["random-order", "pixel-intensity"]:
    cells = []
    for d in ds:
        m = ev[d]["methods"].get(n) or ev[d]["baselines"][n]
        cells += [ci(m["deletion_auc"]), ci(m["insertion_auc"])]
    label = n if n in names else f"*{n}* (baseline)"
    print(f"| {label} | " + " | ".join(cells) + " |")
print()
print("| method | " + " | ".join(f"d = {d}: Spearman \\|map\\| after fc2 → conv1 (all) | d = {d}: labels permuted | d = {d}: max-sensitivity" for d in ds) + " |")
print("| --- " * (1 + 3 * len(ds)) + "|")
for n in names:
    cells = []
    for d in ds:
        m = ev[d]["methods"][n]
        steps = " → ".join(f"{s['spearman_abs']['mean']:.2f}" if s['spearman_abs']['mean'] is not None else "–" for s in m["randomisation"][1:])
        lab = m["label_randomisation"]["spearman_abs"]["mean"]
        sens = m["max_sensitivity"]["mean"]
        cells += [steps, f"{lab:.2f}", f"{sens:.3f}"]
    print(f"| {n} | " + " | ".join(cells) + " |")
for d in ds:
    print(); print(f"d={d} label model:", ev[d]["label_model"], "seconds", ev[d]["seconds"])
