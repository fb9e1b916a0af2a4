#!/usr/bin/env python3
"""Turns an mtl run config into the reference's spec (same tasks, data, model sizes, batch, rate,
seed), so both sides of bench/performance.sh train the same thing.

Usage: spec_from_config.py CONFIG.yaml THREADS EPOCHS > spec.json
"""
import json
import os
import sys

import yaml

config_path, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = os.path.dirname(os.path.abspath(config_path))
config = yaml.safe_load(open(config_path))


def path(p):
    return os.path.normpath(os.path.join(base, p))


tasks = []
for t in config["tasks"]:
    labels = t["labels"]
    if isinstance(labels, str):
        labels = [l.strip() for l in open(path(labels), encoding="utf-8") if l.strip()]
    tasks.append({"name": t["name"], "format": t.get("format", "label-text"), "labels": labels,
                  "label_encoding": t.get("label-encoding", "name"), "multi_label": bool(t.get("multi-label", False)),
                  "train": path(t["train"]), "test": path(t["test"]) if "test" in t else None})
model = config.get("model", {})
training = config.get("training", {})
print(json.dumps({"seed": config.get("seed", 42), "threads": threads, "epochs": epochs,
                  "max_length": config.get("tokenizer", {}).get("max-length", 128),
                  "embedding": model.get("embedding-size", 128), "hidden": model.get("hidden-size", 128),
                  "encoder": model.get("encoder", "cnn"), "dropout": model.get("dropout", 0.2),
                  "learning_rate": training.get("learning-rate", 0.001), "batch": training.get("batch-size", 32),
                  "tasks": tasks}, indent=1))
