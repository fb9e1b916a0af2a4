#!/usr/bin/env python3
"""Runs `bin/mtl train` and records the process's resident memory (VmRSS) while it trains, per
epoch, to show whether native memory grows across epochs (every NDArray closed) or stays flat.

Usage: memory_watch.py CONFIG EPOCHS STEPS_PER_EPOCH THREADS OUTPUT_DIR
Prints a Markdown table: epoch, peak and last RSS in the epoch, change against epoch 2.
"""
import json
import os
import subprocess
import sys
import time

config, epochs, steps, threads, output = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
log = os.path.join(output, "training-log.jsonl")
if os.path.exists(log):
    os.remove(log)
process = subprocess.Popen([os.path.join(root, "bin", "mtl"), "train", config, "--quiet",
                            "--set", "training.epochs=%d" % epochs, "--set", "training.max-steps-per-epoch=%d" % steps,
                            "--set", "engine.threads=%s" % threads, "--set", "output=%s" % output],
                           stdout=subprocess.DEVNULL)


def rss_mb():
    try:
        with open("/proc/%d/status" % process.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def finished_epochs():
    if not os.path.exists(log):
        return 0
    with open(log) as f:
        # The end-of-epoch evaluation is the one that reports the epoch's train loss.
        return sum(1 for line in f if '"event":"evaluation"' in line and '"train_loss"' in line)


peak, last = {}, {}
while process.poll() is None:
    rss = rss_mb()
    epoch = finished_epochs() + 1
    if rss is not None and epoch <= epochs:
        peak[epoch] = max(peak.get(epoch, 0), rss)
        last[epoch] = rss
    time.sleep(0.25)
if process.returncode != 0:
    sys.exit("mtl train failed (exit %d)" % process.returncode)
base = last.get(2)
print("| epoch | peak RSS MB | RSS at epoch end MB | change since epoch 2 MB |")
print("|---:|---:|---:|---:|")
for epoch in sorted(peak):
    change = "" if base is None or epoch < 2 else "%+.0f" % (last[epoch] - base)
    print("| %d | %.0f | %.0f | %s |" % (epoch, peak[epoch], last[epoch], change))
