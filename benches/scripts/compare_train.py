"""One training epoch of DilNet(d): atrous next to PyTorch, back to back, at d = 1..4.

usage: python3 benches/scripts/compare_train.py [--dilations 1,2,3,4] [--threads 2] [--epochs 1]
       [--bench-dir benches/scripts/reference]

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
    ap.add_argument("--bench-dir", default=os.path.join(ROOT, "benches", "scripts", "reference"))
    a = ap.parse_args()
    data = os.path.join(ROOT, "data", "mnist")
    exe = os.path.join(ROOT, "target", "release", "atrous")
    bench = tempfile.mkdtemp(prefix="atrous-ref-")
    for f in os.listdir(a.bench_dir):
        if f.endswith(".py"):
            with open(os.path.join(a.bench_dir, f)) as src, open(os.path.join(bench, f), "w") as dst:
                dst.write(src.read())
    rows = []
    for d in [int(x) for x in a.dilations.split(",")]:
        out = tempfile.mkdtemp(prefix=f"atrous-d{d}-")
        _, ours_rss = timed([exe, "train", "--dilation", str(d), "--epochs", str(a.epochs), "--threads",
                             str(a.threads), "--seed", "0", "--quiet", "--test-limit", "1000", "--out",
                             os.path.join(out, "run")])
        with open(os.path.join(out, "run", "metrics.json")) as f:
            m = json.load(f)
        ours = [e["seconds"] for e in m["epochs"]]
        # PyTorch with the tuned glibc malloc of the reference README (large blocks kept, not
        # returned to the OS after every step).
        env = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456")
        stdout, ref_rss = timed([sys.executable, os.path.join(bench, "train_ref.py"), data, "--dilation", str(d),
                                 "--epochs", str(a.epochs), "--seed", "0", "--threads", str(a.threads), "--no-eval"],
                                env=env)
        ref = json.loads(stdout.strip().splitlines()[-1])
        rows.append({"dilation": d, "atrous_epoch_s": ours, "torch_epoch_s": ref["epoch_wall_s"],
                     "atrous_peak_rss_mib": ours_rss, "torch_peak_rss_mib": ref_rss,
                     "loadavg_1m": os.getloadavg()[0]})
    print("| d | atrous epoch s | PyTorch epoch s | ratio | atrous peak RSS MiB | PyTorch peak RSS MiB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        ours, ref = min(r["atrous_epoch_s"]), min(r["torch_epoch_s"])
        print(f"| {r['dilation']} | {ours:.1f} | {ref:.1f} | {ours / ref:.2f} | {r['atrous_peak_rss_mib']:.0f} | "
              f"{r['torch_peak_rss_mib']:.0f} |")
    print(json.dumps({"threads": a.threads, "epochs": a.epochs, "rows": rows}))


if __name__ == "__main__":
    main()
