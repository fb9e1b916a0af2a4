#!/usr/bin/env python3
"""Cross-check of a run's pretrained-encoder feature cache, independent of mtl's training code.

Reads features/<encoder>.features from a run directory (format 1: big-endian ints MAGIC, FORMAT,
width, count, then per text its SHA-256 and width floats), matches GoEmotions-style TSV rows to
their vectors by the SHA-256 of the text, trains a NumPy MLP (one ReLU layer, Adam, binary
cross-entropy, no dropout) on train and prints dev macro-F1 per epoch. If mtl's model on the same
vectors were far below this, the plumbing (not the vectors) would be at fault.

Usage: bench/feature_probe.py RUN_DIR DATA_DIR [epochs]
  e.g. bench/feature_probe.py runs/bench-pretrained/goemotions-pretrained ../shared/data/goemotions/group
"""
import glob
import hashlib
import struct
import sys

import numpy as np


def read_cache(run_dir):
    path = glob.glob(f"{run_dir}/features/*.features")[0]
    data = open(path, "rb").read()
    _, _, width, count = struct.unpack(">iiii", data[:16])
    records = np.frombuffer(data[16:16 + count * (32 + 4 * width)], dtype=np.uint8).reshape(count, 32 + 4 * width)
    vectors = np.frombuffer(records[:, 32:].tobytes(), dtype=">f4").reshape(count, width).astype(np.float32)
    return {bytes(r[:32]).hex(): i for i, r in enumerate(records)}, vectors


def read_split(data_dir, split, index, vectors, labels):
    xs, ys = [], []
    for line in open(f"{data_dir}/{split}.tsv", encoding="utf-8", errors="replace"):
        text, ids = line.rstrip("\n").split("\t")[:2]
        row = index[hashlib.sha256(text.encode()).hexdigest()]  # a KeyError means the cache lacks a text
        y = np.zeros(labels, np.float32)
        y[[int(i) for i in ids.split(",")]] = 1
        xs.append(vectors[row])
        ys.append(y)
    return np.array(xs), np.array(ys)


def main():
    run_dir, data_dir = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    index, vectors = read_cache(run_dir)
    labels = len(open(f"{data_dir}/labels.txt").read().split())
    xt, yt = read_split(data_dir, "train", index, vectors, labels)
    xd, yd = read_split(data_dir, "dev", index, vectors, labels)
    rng = np.random.default_rng(0)
    hidden = 256
    params = [rng.normal(0, 1 / np.sqrt(xt.shape[1]), (xt.shape[1], hidden)).astype(np.float32), np.zeros(hidden, np.float32),
              rng.normal(0, 1 / np.sqrt(hidden), (hidden, labels)).astype(np.float32), np.zeros(labels, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]

    def forward(x):
        h = np.maximum(x @ params[0] + params[1], 0)
        return h, 1 / (1 + np.exp(-(h @ params[2] + params[3])))

    t = 0
    for epoch in range(epochs):
        order = rng.permutation(len(xt))
        for s in range(0, len(xt), 32):
            x, y = xt[order[s:s + 32]], yt[order[s:s + 32]]
            h, p = forward(x)
            d = (p - y) / y.size
            dh = (d @ params[2].T) * (h > 0)
            grads = [x.T @ dh, dh.sum(0), h.T @ d, d.sum(0)]
            t += 1
            for k, g in enumerate(grads):
                m[k] = 0.9 * m[k] + 0.1 * g
                v[k] = 0.999 * v[k] + 0.001 * g * g
                params[k] -= 1e-3 * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
        predicted = forward(xd)[1] > 0.5
        tp = (predicted & (yd > 0)).sum(0)
        fp = (predicted & (yd == 0)).sum(0)
        fn = (~predicted & (yd > 0)).sum(0)
        f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0)
        print(f"epoch {epoch + 1}: dev macro-F1 {f1.mean():.4f}")


if __name__ == "__main__":
    main()
