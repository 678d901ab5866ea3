"""Writes the seed corpora of the fuzz targets (seeds/TARGET/seed-*): small valid inputs the
fuzzer mutates from. Run from fuzz/: python3 make_seeds.py (needs numpy and safetensors)."""

import gzip
import json
import struct

import numpy as np
from safetensors.numpy import save

SHAPES = {  # DilNet with channels [1,1,1], hidden 2, classes 2, side 4: PyTorch names and layouts
    "conv1.weight": (1, 1, 3, 3), "conv1.bias": (1,),
    "conv2.weight": (1, 1, 3, 3), "conv2.bias": (1,),
    "conv3.weight": (1, 1, 3, 3), "conv3.bias": (1,),
    "fc1.weight": (2, 1), "fc1.bias": (2,),
    "fc2.weight": (2, 2), "fc2.bias": (2,),
}
META = {"arch": "dilnet", "channels": "[1,1,1]", "dilations": "[1,1,1]", "hidden": "2",
        "classes": "2", "side": "4", "mean": "0.1307", "std": "0.3081"}


def tensors(prefix="", scale=0.1):
    rng = np.random.default_rng(0)
    return {prefix + k: (scale * rng.standard_normal(s)).astype(np.float32) for k, s in SHAPES.items()}


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def idx(dims, data):
    return struct.pack(">BBBB", 0, 0, 8, len(dims)) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


write("seeds/idx/seed-images", idx([2, 3, 3], range(18)))
write("seeds/idx/seed-labels", idx([5], [1, 2, 3, 4, 9]))
write("seeds/idx/seed-gzip", gzip.compress(idx([2, 2], [7, 8, 9, 10])))
write("seeds/model/seed-dilnet", save(tensors(), metadata=META))
write("seeds/model/seed-kernels", save({**tensors(), "conv1.weight": np.zeros((1, 1, 1, 1), np.float32)},
                                      metadata={**META, "kernels": "[1,3,3]"}))
history = json.dumps([{"epoch": 1, "images_per_second": 1.0, "seconds": 1.0, "train_accuracy": 0.5,
                       "train_loss": 0.7, "val_accuracy": 0.5, "val_loss": 0.7}])
ck = {**META, "epochs_done": "1", "history": history, "train_config": "{}"}
write("seeds/checkpoint/seed-sgd", save({**tensors(), **tensors("optim.velocity.", 0.01)}, metadata=ck))
write("seeds/checkpoint/seed-adam", save({**tensors(), **tensors("optim.m.", 0.01), **tensors("optim.v.", 0.001)},
                                          metadata={**ck, "adam_steps": "3"}))
for i, text in enumerate(["0..10", "5", "3..3", "label", "predicted", "7", "integrated-gradients", "occlusion"]):
    write(f"seeds/cli_parse/seed-{i}", text.encode() + b"\x00\x10")
for i in range(4):
    write(f"seeds/conv_diff/seed-{i}", bytes([(i * 37 + j * 11) % 256 for j in range(24)]))
# npy: any bytes make a case (shape, skew, bit patterns); these start the fuzzer at a rank-2 array,
# a one-dimensional one, a zero-sized one and NaN/infinity bit patterns.
write("seeds/npy/seed-0", struct.pack("<IIIbIIII", 2, 3, 0, 0, 0x3F800000, 0x7FC00001, 0xFF800000, 1) + b"\x08\x00\x00\x00")
write("seeds/npy/seed-1", struct.pack("<IbI", 7, 0, 0x80000000) + b"\x04\x00\x00\x00")
write("seeds/npy/seed-2", struct.pack("<IIIb", 4, 0, 9, 1) + b"\x0c\x00\x00\x00")
write("seeds/npy/seed-3", bytes(range(64)))
