"""Would GoEmotions' coarse tasks gain from reading the fine task's outputs? Each coarse label set
(sentiment, Ekman) is a function of the 28 emotions (the dataset's sentiment_dict.json and
ekman_mapping.json; neutral maps to neutral), so a coarse label's probability can be derived from the
emotion head as the noisy-or of its emotions' probabilities. This compares, on test, the coarse head
itself, the label derived from the emotion head, and the mean of the two, each deciding every label
at its best-F1 threshold on dev (as `threshold: tune` does), for the single-task baselines (each
coarse baseline with the emotion baseline) and for a multi-task run (its own heads). The other way
round, it also refines the emotion head by a coarse head: each emotion's probability p(e) is
rescaled so that its group's share is the geometric mean of the emotion head's (the noisy-or above)
and the coarse head's, p(e) * sqrt(p_coarse(g) / p_fine(g)).

Usage: python3 bench/derived_labels.py <run>/single-task <run>     (from the repository root; runs
bin/mtl predict on dev and test, about a minute a model; the probabilities are kept in
<run>/predictions.npz, so a second call reads them back unless a model was trained since)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

DATA = "../shared/data/goemotions/"
FOLDER = {"sentiment": "group", "ekman": "ekman", "emotion": "original"}
MAPPING = {"sentiment": "sentiment_dict.json", "ekman": "ekman_mapping.json"}


def labels(task):
    return [line.strip() for line in open(DATA + FOLDER[task] + "/labels.txt") if line.strip()]


def split_file(task, split):
    return DATA + FOLDER[task] + "/" + split + ".tsv"


def gold(task, split):
    names = labels(task)
    rows = []
    for line in open(split_file(task, split), encoding="utf-8"):
        y = np.zeros(len(names))
        for i in line.rstrip("\n").split("\t")[1].split(","):
            y[int(i)] = 1
        rows.append(y)
    return np.array(rows)


def predict(model, split, work):
    """Every label's probability for every text of the split, per task: {task: array}."""
    texts = os.path.join(work, split + ".txt")
    if not os.path.exists(texts):
        with open(texts, "w", encoding="utf-8") as out:
            for line in open(split_file("emotion", split), encoding="utf-8"):
                out.write(line.split("\t")[0] + "\n")
    output = os.path.join(work, "predictions.jsonl")
    subprocess.run(["bin/mtl", "predict", model, "--threshold", "0", "--input", texts, "--output", output], check=True)
    scores = {}
    for line in open(output, encoding="utf-8"):
        for task, result in json.loads(line).items():
            if task != "text":
                scores.setdefault(task, []).append([result["scores"][name] for name in labels(task)])
    return {task: np.array(rows) for task, rows in scores.items()}


def f1(y, decided):
    tp = (y * decided).sum()
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + ((1 - y) * decided).sum() + (y * (1 - decided)).sum())


def tuned_macro_f1(dev_p, dev_y, test_p, test_y):
    scores = []
    for j in range(dev_y.shape[1]):
        threshold = max(np.linspace(0.01, 0.99, 99), key=lambda t: f1(dev_y[:, j], dev_p[:, j] >= t))
        scores.append(f1(test_y[:, j], test_p[:, j] >= threshold))
    return float(np.mean(scores))


def derived(emotion_p, task):
    groups = dict(json.load(open(DATA + MAPPING[task])), neutral=["neutral"])
    emotions = labels("emotion")
    return np.array([1 - np.prod(1 - emotion_p[:, [emotions.index(e) for e in groups[name]]], axis=1)
                     for name in labels(task)]).T


def refined(emotion_p, coarse_p, task):
    """Emotion probabilities whose group's share is the geometric mean of the fine and the coarse head's."""
    groups = dict(json.load(open(DATA + MAPPING[task])), neutral=["neutral"])
    emotions = labels("emotion")
    fine_g = derived(emotion_p, task)
    out = emotion_p.copy()
    for gi, name in enumerate(labels(task)):
        for e in groups[name]:
            j = emotions.index(e)
            out[:, j] = emotion_p[:, j] * np.sqrt(coarse_p[:, gi] / np.maximum(fine_g[:, gi], 1e-6))
    return out


def main():
    baselines, run = sys.argv[1], sys.argv[2]
    cache = os.path.join(run, "predictions.npz")
    # A model trained again after the cache was written makes it stale: its metrics.json is newer.
    trained = [os.path.join(run, "metrics.json")] + [os.path.join(baselines, task, "metrics.json") for task in FOLDER]
    if os.path.exists(cache) and all(os.path.getmtime(f) < os.path.getmtime(cache) for f in trained):
        z = np.load(cache)
        p = {tuple(k.split("|")): z[k] for k in z.files}
    else:
        with tempfile.TemporaryDirectory() as work:
            p = {}
            for split in ("dev", "test"):
                for task in FOLDER:
                    p[("baseline", task, split)] = predict(os.path.join(baselines, task, "model"), split, work)[task]
                for task, scores in predict(os.path.join(run, "model"), split, work).items():
                    p[("run", task, split)] = scores
        np.savez(cache, **{"|".join(k): v for k, v in p.items()})
    print("| model | task | its head | derived from emotion | mean of the two |")
    print("|---|---|---|---|---|")
    for source in ("baseline", "run"):
        for task in MAPPING:
            dev_y, test_y = gold(task, "dev"), gold(task, "test")
            head = (p[(source, task, "dev")], p[(source, task, "test")])
            fine = (derived(p[(source, "emotion", "dev")], task), derived(p[(source, "emotion", "test")], task))
            mean = ((head[0] + fine[0]) / 2, (head[1] + fine[1]) / 2)
            cells = [tuned_macro_f1(d, dev_y, t, test_y) for d, t in (head, fine, mean)]
            print(f"| {source} | {task} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
    print()
    print("| model | emotion's own head | refined by sentiment | refined by ekman |")
    print("|---|---|---|---|")
    dev_y, test_y = gold("emotion", "dev"), gold("emotion", "test")
    for source in ("baseline", "run"):
        head = (p[(source, "emotion", "dev")], p[(source, "emotion", "test")])
        cells = [tuned_macro_f1(head[0], dev_y, head[1], test_y)]
        for task in MAPPING:
            dev_r, test_r = (refined(head[i], p[(source, task, split)], task) for i, split in enumerate(("dev", "test")))
            cells.append(tuned_macro_f1(dev_r, dev_y, test_r, test_y))
        print(f"| {source} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
