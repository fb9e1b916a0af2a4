#!/usr/bin/env python3
"""Appends one config's rows to bench/performance.sh's two tables (OUT/training.md and
OUT/prediction.md) from the files the script wrote. Usage: performance_tables.py OUT NAME"""
import json
import os
import statistics
import sys

out, name = sys.argv[1], sys.argv[2]
reference = json.load(open("%s/%s-reference.json" % (out, name)))


def fmt(test):
    return ", ".join("%s %s %.4f" % (t, m, v) for t, ms in test.items() for m, v in ms.items())


# Examples per step: one batch per data source, as the reference counts the rows it trained on;
# both sides run the same number of steps per epoch.
ref_seconds = sum(reference["epoch_seconds"])
per_step = reference["examples_per_second"] * ref_seconds / (reference["steps_per_epoch"] * len(reference["epoch_seconds"]))
with open("%s/training.md" % out, "a") as table:
    for updates, label in (("sparse", "mtl"), ("dense", "mtl, dense embedding updates"), ("tensorflow", "mtl on TensorFlow")):
        if not os.path.exists("%s/%s-%s.rss" % (out, name, updates)):
            continue  # the engine refused the config (TensorFlow and BiLSTMs)
        metrics = json.load(open("%s/%s-%s/metrics.json" % (out, name, updates)))
        rss = int(open("%s/%s-%s.rss" % (out, name, updates)).read().split()[-1])
        epochs = metrics["epochs"]
        seconds = sum(e["seconds"] for e in epochs)
        eps = sum(e["steps"] for e in epochs) * per_step / seconds
        test = {t: {m["primary"]: m["values"][m["primary"]]} for t, m in metrics["test"].items()}
        table.write("| %s | %s | %.0f | %.1f | %.0f | %s | %.2f |\n" % (
            name, label, eps, seconds / len(epochs), rss / 1024, fmt(test), eps / reference["examples_per_second"]))
    table.write("| %s | PyTorch | %.0f | %.1f | %.0f | %s | |\n" % (
        name, reference["examples_per_second"], ref_seconds / len(reference["epoch_seconds"]), reference["peak_rss_mb"],
        fmt(reference["test"])))

cold = statistics.median(int(line) for line in open("%s/%s-cold-start.txt" % (out, name)) if line.strip()) / 1000
with open("%s/prediction.md" % out, "a") as table:
    for threads, ref in sorted(reference["inference"].items(), key=lambda kv: int(kv[0])):
        sides = [(label, json.load(open(path))) for label, path in (
            ("mtl", "%s/%s-inference-sparse-%s.json" % (out, name, threads)),
            ("mtl on TensorFlow", "%s/%s-inference-tensorflow-%s.json" % (out, name, threads))) if os.path.exists(path)]
        for label, r in sides + [("PyTorch", ref)]:
            start = "%.1f" % cold if label == "mtl" and threads == max(reference["inference"], key=int) else ""
            table.write("| %s | %s | %s | %.2f / %.2f / %.2f | %.0f | %s |\n" % (
                name, label, threads, r["p50_ms"], r["p90_ms"], r["p99_ms"], r["batch_texts_per_second"], start))
