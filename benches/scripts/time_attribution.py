"""Time of every attribution method: atrous next to Captum, back to back, same model file and images.

usage: python3 benches/scripts/time_attribution.py MODEL.safetensors [--rounds 2] [--threads 2]
       [--images 10000] [--costly-images 1000] [--methods vanilla,grad-x-input,...] [--exe PATH]

For each method and round, `atrous saliency --method M` explains the first N test images and its
own report of the attribution time is read (the model and data loading before it and the file
writing after it are not counted); then Captum 0.9 explains the same images with the model file
loaded into `torch.nn` (the `ModuleReluDilNet` of data/fixtures/check_attribution_captum.py) and
only its `attribute` calls are timed. Both use `--threads` threads and the same rows per
forward/backward pass:

| method | images | rows per pass (both engines) |
| --- | --- | --- |
| vanilla, grad-x-input, guided-backprop, deconvnet, grad-cam | --images | 100 images |
| integrated-gradients (50 intervals, baseline 0) | --costly-images | 20 images × 51 path points |
| smoothgrad (50 samples, σ 0.15) | --costly-images | 20 images × 50 noisy copies |
| occlusion (window 4, stride 2, baseline 0) | --costly-images | 6 images × 169 windows |

Rounds interleave the engines (atrous then Captum, per method) and the table compares minima over
rounds. PyTorch runs in this process, so start the script with the tuned malloc settings of
benches/scripts/reference/README.md in the environment (the script warns when they are missing).
Prints a markdown table with the ratio atrous/Captum and one JSON line with every raw figure. Build
first: `cargo build --release -p atrous-cli`; Python: `pip install torch numpy safetensors captum`.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "data", "fixtures"))
from check_attribution_captum import load_module_net  # noqa: E402
from check_model_torch import read_idx  # noqa: E402
from captum.attr import (Deconvolution, GuidedBackprop, InputXGradient, IntegratedGradients,  # noqa: E402
                         LayerAttribution, LayerGradCam, NoiseTunnel, Occlusion, Saliency)

TUNED = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"
CHEAP = ["vanilla", "grad-x-input", "guided-backprop", "deconvnet", "grad-cam"]
COSTLY = ["integrated-gradients", "smoothgrad", "occlusion"]
IG_STEPS, SAMPLES, SIGMA, WINDOW, STRIDE = 50, 50, 0.15, 4, 2
WINDOWS = ((28 - WINDOW) // STRIDE + 1) ** 2
# Images per pass, chosen so both engines push about the same rows through each forward/backward.
IMAGES_PER_PASS = {"integrated-gradients": 20, "smoothgrad": 20, "occlusion": 6}
ROWS_PER_IMAGE = {"integrated-gradients": IG_STEPS + 1, "smoothgrad": SAMPLES, "occlusion": WINDOWS}


def atrous_seconds(a, method, n):
    """The attribution time atrous reports for the first n test images."""
    per_pass = IMAGES_PER_PASS.get(method, 100) * ROWS_PER_IMAGE.get(method, 1)
    flags = {"integrated-gradients": ["--ig-steps", str(IG_STEPS)],
             "smoothgrad": ["--samples", str(SAMPLES), "--sigma", str(SIGMA)],
             "occlusion": ["--window", str(WINDOW), "--stride", str(STRIDE)]}.get(method, [])
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([a.exe, "saliency", "--model", a.model, "--method", method, *flags,
                              "--images", f"0..{n}", "--batch-size", str(per_pass), "--target", "predicted",
                              "--show", "0", "--data", a.data, "--threads", str(a.threads), "--out", tmp],
                             check=True, capture_output=True, text=True)
    m = re.search(r" in ([0-9.]+) s \(", out.stdout + out.stderr)
    if not m:
        sys.exit(f"time_attribution: no time in atrous' output: {out.stdout} {out.stderr}")
    return float(m.group(1))


def captum_call(net, method, x, target):
    x = x.clone().requires_grad_(True)
    if method == "vanilla":
        return Saliency(net).attribute(x, target=target, abs=True)
    if method == "grad-x-input":
        return InputXGradient(net).attribute(x, target=target)
    if method == "guided-backprop":
        return GuidedBackprop(net).attribute(x, target=target)
    if method == "deconvnet":
        return Deconvolution(net).attribute(x, target=target)
    if method == "grad-cam":
        cam = LayerGradCam(net, net.relu3).attribute(x, target=target, relu_attributions=True)
        return LayerAttribution.interpolate(cam, (28, 28), interpolate_mode="bilinear")
    if method == "integrated-gradients":
        n = IG_STEPS + 1
        return IntegratedGradients(net).attribute(x, baselines=0.0, target=target, n_steps=n,
                                                  method="riemann_trapezoid", internal_batch_size=n * len(x))
    if method == "smoothgrad":
        return NoiseTunnel(Saliency(net)).attribute(x, nt_type="smoothgrad", nt_samples=SAMPLES, stdevs=SIGMA,
                                                    nt_samples_batch_size=SAMPLES, target=target, abs=True)
    if method == "occlusion":
        return Occlusion(net).attribute(x, sliding_window_shapes=(1, WINDOW, WINDOW), strides=(1, STRIDE, STRIDE),
                                        baselines=0.0, target=target, perturbations_per_eval=WINDOWS)
    raise ValueError(method)


def captum_seconds(net, xs, method, n):
    """Captum's time for the first n test images, predicted class as target, attribute calls only."""
    per = IMAGES_PER_PASS.get(method, 100)
    total = 0.0
    for i in range(0, n, per):
        x = torch.from_numpy(xs[i:min(i + per, n)]).unsqueeze(1)
        with torch.no_grad():
            target = net(x).argmax(1)
        start = time.perf_counter()
        captum_call(net, method, x, target)
        total += time.perf_counter() - start
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--costly-images", type=int, default=1000)
    ap.add_argument("--methods", default=",".join(CHEAP + COSTLY))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "mnist"))
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--exe", default=os.path.join(target_dir, "release", "atrous"))
    a = ap.parse_args()
    if os.environ.get("GLIBC_TUNABLES") != TUNED:
        print(f"time_attribution: warning: GLIBC_TUNABLES is not {TUNED}; PyTorch runs untuned", file=sys.stderr)
    torch.set_num_threads(a.threads)
    net = load_module_net(a.model)
    xs = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    methods = a.methods.split(",")
    raw = {m: {"atrous": [], "captum": []} for m in methods}
    for _ in range(a.rounds):
        for m in methods:
            n = a.costly_images if m in COSTLY else a.images
            raw[m]["atrous"].append(atrous_seconds(a, m, n))
            raw[m]["captum"].append(captum_seconds(net, xs, m, n))
    load = os.getloadavg()[0]
    print(f"| method | images | atrous s (min of {a.rounds}) | Captum s (min of {a.rounds}) | atrous / Captum |")
    print("| --- | --- | --- | --- | --- |")
    for m in methods:
        n = a.costly_images if m in COSTLY else a.images
        t_a, t_c = min(raw[m]["atrous"]), min(raw[m]["captum"])
        print(f"| {m} | {n} | {t_a:.2f} | {t_c:.2f} | {t_a / t_c:.2f} |")
    print(json.dumps({"model": a.model, "threads": a.threads, "rounds": a.rounds, "load_1min_at_end": load,
                      "seconds": raw}))


if __name__ == "__main__":
    main()
