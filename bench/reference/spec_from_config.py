#!/usr/bin/env python3
"""Turns an mtl run config into the reference's spec (same tasks, data, model sizes, batch, rate,
seed), so both sides of bench/performance.sh train the same thing.

Usage: spec_from_config.py CONFIG.yaml THREADS EPOCHS MAX_STEPS [INFERENCE_TEXTS] > spec.json
MAX_STEPS: steps per epoch at most (0: one pass over the largest source, as mtl does by default).
INFERENCE_TEXTS: where the reference writes the texts it times predictions on, one per line, so
mtl's inference benchmark times the same texts.
"""
import json
import os
import sys

import yaml

config_path, threads, epochs, max_steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
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
                  "max_steps": max_steps, "inference_texts": sys.argv[5] if len(sys.argv) > 5 else None,
                  "tasks": tasks}, indent=1))
