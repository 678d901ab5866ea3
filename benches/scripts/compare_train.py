"""One training epoch of DilNet(d), and optionally saliency: atrous next to PyTorch, back to back.

usage: python3 benches/scripts/compare_train.py [--dilations 1,2,3,4] [--threads 2] [--epochs 1]
       [--rounds 1] [--saliency-model MODEL.safetensors] [--bench-dir benches/scripts/reference]

With --rounds R the whole sequence (every dilation, atrous then PyTorch) runs R times,
interleaved, and the table compares the minima over rounds: single runs on a shared machine
drift by more than the differences being measured. With --saliency-model it then times the
saliency maps of the 10,000 test images (batches of 100) and the 10 class models on that model
file, `saliency_bench` (build: `cargo build --release -p atrous-benches --example
saliency_bench`) against `saliency_ref.py --model` (same file), R rounds as well.

For each dilation it runs `target/release/atrous train` and then the PyTorch reference
`train_ref.py` (same recipe: SGD 0.05, momentum 0.9, batch 64, seed 0, the full 60,000-image
training set, `--threads` workers each), each under `/usr/bin/time -v` for its peak resident
memory. Epoch time is the training loop only in both (atrous' metrics.json `seconds`,
train_ref's `wall_s`). Prints a markdown table with the ratios atrous/PyTorch and one JSON line
with every raw figure. Build first: `cargo build --release -p atrous-cli`; PyTorch:
`pip install torch numpy`.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(cmd, env=None):
    """Run cmd under /usr/bin/time -v; return (stdout, peak RSS in MiB)."""
    res = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{res.stderr}")
    kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr).group(1))
    return res.stdout, kib / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dilations", default="1,2,3,4")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--saliency-model")
    ap.add_argument("--bench-dir", default=os.path.join(ROOT, "benches", "scripts", "reference"))
    a = ap.parse_args()
    data = os.path.join(ROOT, "data", "mnist")
    exe = os.path.join(ROOT, "target", "release", "atrous")
    bench = tempfile.mkdtemp(prefix="atrous-ref-")
    for f in os.listdir(a.bench_dir):
        if f.endswith(".py"):
            with open(os.path.join(a.bench_dir, f)) as src, open(os.path.join(bench, f), "w") as dst:
                dst.write(src.read())
    # PyTorch with the tuned glibc malloc of the reference README (large blocks kept, not
    # returned to the OS after every step).
    tuned = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456")
    dilations = [int(x) for x in a.dilations.split(",")]
    rows = {d: {"dilation": d, "atrous_epoch_s": [], "torch_epoch_s": [], "atrous_peak_rss_mib": 0.0,
                "torch_peak_rss_mib": 0.0, "loadavg_1m": []} for d in dilations}
    for _ in range(a.rounds):
        for d in dilations:
            epoch_pair(a, d, exe, bench, data, tuned, rows[d])
    rows = list(rows.values())
    print("| d | atrous epoch s | PyTorch epoch s | ratio of minima | atrous peak RSS MiB | PyTorch peak RSS MiB | load |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        ours, ref = min(r["atrous_epoch_s"]), min(r["torch_epoch_s"])
        spell = lambda v: ", ".join(f"{x:.1f}" for x in v)
        print(f"| {r['dilation']} | {spell(r['atrous_epoch_s'])} | {spell(r['torch_epoch_s'])} | {ours / ref:.2f} | "
              f"{r['atrous_peak_rss_mib']:.0f} | {r['torch_peak_rss_mib']:.0f} | {spell(r['loadavg_1m'])} |")
    result = {"threads": a.threads, "epochs": a.epochs, "rounds": a.rounds, "rows": rows}
    if a.saliency_model:
        result["saliency"] = saliency_pairs(a, bench, data, tuned)
    print(json.dumps(result))


def epoch_pair(a, d, exe, bench, data, tuned, row):
    """One atrous epoch run and one PyTorch epoch run at dilation d, appended to row."""
    row["loadavg_1m"].append(os.getloadavg()[0])
    out = tempfile.mkdtemp(prefix=f"atrous-d{d}-")
    _, ours_rss = timed([exe, "train", "--dilation", str(d), "--epochs", str(a.epochs), "--threads",
                         str(a.threads), "--seed", "0", "--quiet", "--test-limit", "1000", "--out",
                         os.path.join(out, "run")])
    with open(os.path.join(out, "run", "metrics.json")) as f:
        m = json.load(f)
    row["atrous_epoch_s"] += [e["seconds"] for e in m["epochs"]]
    stdout, ref_rss = timed([sys.executable, os.path.join(bench, "train_ref.py"), data, "--dilation", str(d),
                             "--epochs", str(a.epochs), "--seed", "0", "--threads", str(a.threads), "--no-eval"],
                            env=tuned)
    row["torch_epoch_s"] += json.loads(stdout.strip().splitlines()[-1])["epoch_wall_s"]
    row["atrous_peak_rss_mib"] = max(row["atrous_peak_rss_mib"], ours_rss)
    row["torch_peak_rss_mib"] = max(row["torch_peak_rss_mib"], ref_rss)


def saliency_pairs(a, bench, data, tuned):
    """Saliency maps and class models on one model file, atrous then PyTorch, a.rounds times."""
    exe = os.path.join(ROOT, "target", "release", "examples", "saliency_bench")
    runs = {"atrous_maps_s": [], "torch_maps_s": [], "atrous_class_models_s": [], "torch_class_models_s": [],
            "loadavg_1m": []}
    for _ in range(a.rounds):
        runs["loadavg_1m"].append(os.getloadavg()[0])
        stdout, _ = timed([exe, a.saliency_model, "3"], env=dict(os.environ, RAYON_NUM_THREADS=str(a.threads)))
        ours = json.loads(stdout.strip().splitlines()[-1])
        runs["atrous_maps_s"].append(ours["saliency_median_s"])
        runs["atrous_class_models_s"].append(ours["class_model_batched10_median_s"])
        stdout, _ = timed([sys.executable, os.path.join(bench, "saliency_ref.py"), data, "--model",
                           os.path.abspath(a.saliency_model), "--threads", str(a.threads), "--repeats", "3"],
                          env=tuned)
        ref = json.loads(stdout.strip().splitlines()[-1])
        runs["torch_maps_s"].append(ref["saliency"]["median_s"])
        runs["torch_class_models_s"].append(ref["class_model"]["batched10"]["median_s"])
    spell = lambda v: ", ".join(f"{x:.2f}" for x in v)
    print()
    print("| work | atrous s | PyTorch s | ratio of minima | load |")
    print("| --- | --- | --- | --- | --- |")
    for name, ours, ref in (("saliency, 10,000 maps", "atrous_maps_s", "torch_maps_s"),
                            ("10 class models, 200 steps", "atrous_class_models_s", "torch_class_models_s")):
        ratio = min(runs[ours]) / min(runs[ref])
        print(f"| {name} | {spell(runs[ours])} | {spell(runs[ref])} | {ratio:.2f} | {spell(runs['loadavg_1m'])} |")
    return runs


if __name__ == "__main__":
    main()
