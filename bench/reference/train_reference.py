#!/usr/bin/env python3
"""Plain PyTorch reference for bench/performance.sh: the model a Python user would write for the
same multi-task setup mtl trains (shared embedding and encoder, a linear head per task, equal
weights, Adam), on the same data, with the same batching rule (every data source gives one batch
of `batch` rows each step; an epoch is one pass over the largest source).

Usage: train_reference.py SPEC.json    (written by bench/performance.sh or bench/sharing_reference.sh)
Prints one JSON line: examples/s, seconds per epoch, peak RSS and the test metric per task.
Optional spec keys: "steps_per_epoch" (a fixed count, as mtl's single-task baselines take the multi-task
run's), "embedding_limit" (the embedding starts uniform in [-limit, limit], as mtl's does, instead of
PyTorch's N(0, 1)), "latency": false (skip the prediction timing).
"""
import json
import random
import re
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

TOKEN = re.compile(r"[^\W\d_][\w']*|\d+(?:[.,:]\d+)*|[^\w\s]", re.UNICODE)


def tokenize(text, max_length):
    return TOKEN.findall(text.lower())[:max_length]


def read_rows(path, fmt):
    rows = []
    with open(path, "rb") as f:
        for raw in f.read().split(b"\n"):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("cp1252", errors="replace")
            line = line.rstrip("\r")
            if not line.strip():
                continue
            if fmt == "tsv":
                cells = line.split("\t")
                rows.append((cells[0], cells[1].split(",")))
            else:
                label, _, text = line.partition(" ")
                rows.append((text, [label]))
    return rows


class Model(nn.Module):
    def __init__(self, vocab, spec, heads):
        super().__init__()
        e, h = spec["embedding"], spec["hidden"]
        self.encoder = spec["encoder"]
        self.embedding = nn.Embedding(vocab, e, padding_idx=0)
        if spec.get("embedding_limit"):
            with torch.no_grad():
                nn.init.uniform_(self.embedding.weight, -spec["embedding_limit"], spec["embedding_limit"])
                self.embedding.weight[0].zero_()
        if self.encoder == "cnn":
            self.convs = nn.ModuleList([nn.Conv1d(e, h, w, padding=w // 2) for w in (3, 4, 5)])
            width = 3 * h
        else:
            self.lstm = nn.LSTM(e, h, batch_first=True, bidirectional=True)
            width = 2 * h
        self.dropout = nn.Dropout(spec["dropout"])
        self.heads = nn.ModuleDict({name: nn.Linear(width, size) for name, size in heads.items()})

    def forward(self, tokens, lengths):
        mask = (tokens != 0).unsqueeze(2).float()
        x = self.dropout(self.embedding(tokens)) * mask
        if self.encoder == "cnn":
            t = tokens.shape[1]
            y = torch.cat([F.relu(conv(x.transpose(1, 2)))[:, :, :t] for conv in self.convs], 1).transpose(1, 2)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths.clamp(min=1), batch_first=True, enforce_sorted=False)
            y, _ = self.lstm(packed)
            y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=tokens.shape[1])
        y = y + (mask - 1) * 1e4
        pooled = self.dropout(y.max(1).values)
        return {name: head(pooled) for name, head in self.heads.items()}


def main():
    spec = json.load(open(sys.argv[1]))
    torch.manual_seed(spec["seed"])
    random.seed(spec["seed"])
    torch.set_num_threads(spec["threads"])
    max_length = spec["max_length"]
    # Sources: tasks reading the same train file share one source (one batch feeds their heads).
    sources = {}
    tasks = {}
    for task in spec["tasks"]:
        labels = task["labels"]
        index = {l: i for i, l in enumerate(labels)}
        def encode(rows):
            return [(tokenize(t, max_length), [int(l) if task["label_encoding"] == "index" else index[l] for l in ls if l != ""]) for t, ls in rows]
        train = encode(read_rows(task["train"], task["format"]))
        test = encode(read_rows(task["test"], task["format"])) if task.get("test") else None
        tasks[task["name"]] = dict(size=len(labels), multi=task["multi_label"], train=train, test=test)
        sources.setdefault(task["train"], []).append(task["name"])
    vocab = {"<pad>": 0, "<unk>": 1}
    for t in tasks.values():
        for tokens, _ in t["train"]:
            for w in tokens:
                vocab.setdefault(w, len(vocab))
    def ids(tokens):
        return [vocab.get(w, 1) for w in tokens] or [1]
    model = Model(len(vocab), spec, {n: t["size"] for n, t in tasks.items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=spec["learning_rate"])
    batch = spec["batch"]
    source_rows = {s: len(tasks[names[0]]["train"]) for s, names in sources.items()}
    steps = max((n + batch - 1) // batch for n in source_rows.values())
    if spec.get("max_steps"):
        steps = min(steps, spec["max_steps"])   # as mtl's training.max-steps-per-epoch
    if spec.get("steps_per_epoch"):
        steps = spec["steps_per_epoch"]

    def tensors(rows):
        seqs = [ids(tokens) for tokens, _ in rows]
        width = max(len(s) for s in seqs)
        tok = torch.zeros(len(seqs), width, dtype=torch.long)
        for i, s in enumerate(seqs):
            tok[i, :len(s)] = torch.tensor(s)
        return tok, torch.tensor([len(s) for s in seqs])

    def target(task, rows):
        if task["multi"]:
            y = torch.zeros(len(rows), task["size"])
            for i, (_, ls) in enumerate(rows):
                y[i, ls] = 1
            return y
        return torch.tensor([ls[0] for _, ls in rows])

    orders = {s: [] for s in sources}
    epoch_seconds = []
    examples = 0
    for epoch in range(spec["epochs"]):
        model.train()
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.zero_grad()
            loss = 0
            for s, names in sources.items():
                if len(orders[s]) < batch:
                    perm = list(range(source_rows[s]))
                    random.shuffle(perm)
                    orders[s].extend(perm)
                pick, orders[s] = orders[s][:batch], orders[s][batch:]
                rows = [tasks[names[0]]["train"][i] for i in pick]
                tok, lengths = tensors(rows)
                out = model(tok, lengths)
                for n in names:
                    t = tasks[n]
                    r = [t["train"][i] for i in pick]
                    y = target(t, r)
                    loss = loss + (F.binary_cross_entropy_with_logits(out[n], y) if t["multi"] else F.cross_entropy(out[n], y))
                examples += len(pick)
            loss.backward()
            optimizer.step()
        epoch_seconds.append(time.perf_counter() - start)
    model.eval()
    metrics = {}
    with torch.no_grad():
        for n, t in tasks.items():
            if not t["test"]:
                continue
            correct, tp, fp, fn = 0, [0] * t["size"], [0] * t["size"], [0] * t["size"]
            for i in range(0, len(t["test"]), 256):
                rows = t["test"][i:i + 256]
                tok, lengths = tensors(rows)
                scores = model(tok, lengths)[n]
                if t["multi"]:
                    pred = (torch.sigmoid(scores) >= 0.5)
                    for r, (_, ls) in enumerate(rows):
                        gold = set(ls)
                        for c in range(t["size"]):
                            p = bool(pred[r, c])
                            tp[c] += p and c in gold
                            fp[c] += p and c not in gold
                            fn[c] += (not p) and c in gold
                else:
                    correct += int((scores.argmax(1) == target(t, rows)).sum())
            if t["multi"]:
                f1 = [2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]) if tp[c] + fp[c] + fn[c] else 0 for c in range(t["size"])]
                metrics[n] = {"macro_f1": sum(f1) / len(f1)}
            else:
                metrics[n] = {"accuracy": correct / len(t["test"])}
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Threads are one setting per process for mtl; here they change between the two measurements.
    inference = {}
    for threads in sorted({1, spec["threads"]}) if spec.get("latency", True) else []:
        torch.set_num_threads(threads)
        inference[str(threads)] = time_inference(spec, model, tasks, ids)
    print(json.dumps({"examples_per_second": examples / sum(epoch_seconds), "epoch_seconds": epoch_seconds,
                      "peak_rss_mb": peak_rss_mb, "test": metrics, "inference": inference,
                      "steps_per_epoch": steps, "vocabulary": len(vocab)}))


def time_inference(spec, model, tasks, ids, count=2000, warmup=500, batch=64):
    """Text in, every task's decoded prediction out, as a service would: latency for one text at a
    time (p50/p90/p99 ms after warm-up) and texts per second in batches of 64. The texts are the
    first test file's, written to spec["inference_texts"] for mtl to time the same ones."""
    test_task = next(t for t in spec["tasks"] if t.get("test"))
    texts = [text for text, _ in read_rows(test_task["test"], test_task["format"]) if text.strip()]
    if spec.get("inference_texts"):
        with open(spec["inference_texts"], "w", encoding="utf-8") as f:
            f.writelines(t.replace("\n", " ") + "\n" for t in texts)
    heads = [(n, t["multi"]) for n, t in tasks.items()]

    def predict(batch_texts):
        seqs = [ids(tokenize(t, spec["max_length"])) for t in batch_texts]
        width = max(len(s) for s in seqs)
        tok = torch.zeros(len(seqs), width, dtype=torch.long)
        for i, s in enumerate(seqs):
            tok[i, :len(s)] = torch.tensor(s)
        out = model(tok, torch.tensor([len(s) for s in seqs]))
        return {n: ((torch.sigmoid(out[n]) >= 0.5).tolist() if multi else torch.softmax(out[n], 1).argmax(1).tolist())
                for n, multi in heads}

    model.eval()
    with torch.no_grad():
        for i in range(warmup):
            predict([texts[i % len(texts)]])
        nanos = []
        for i in range(count):
            start = time.perf_counter_ns()
            predict([texts[i % len(texts)]])
            nanos.append(time.perf_counter_ns() - start)
        nanos.sort()
        chunk = lambda b: [texts[(b * batch + i) % len(texts)] for i in range(batch)]
        for b in range(10):
            predict(chunk(b))
        # Batches for at least two seconds, as mtl's InferenceLatency does.
        batches, start = 0, time.perf_counter()
        while True:
            predict(chunk(batches))
            batches += 1
            seconds = time.perf_counter() - start
            if seconds >= 2:
                break

    def percentile(p):
        return nanos[min(len(nanos) - 1, -(-p * len(nanos) // 100) - 1)] / 1e6
    return {"p50_ms": percentile(50), "p90_ms": percentile(90), "p99_ms": percentile(99),
            "batch_texts_per_second": batches * batch / seconds}


if __name__ == "__main__":
    main()
