#!/usr/bin/env python3
"""Plain PyTorch reference for bench/fine_tune_speed.sh: the script a Python user would write to
fine-tune all-MiniLM-L6-v2 on one classification task, the same architecture as mtl's
Layer.Transformer (BERT post-norm blocks, erf GELU, masked mean pooling, a linear head), started
from the same ONNX file's weights, with the same training rules (Adam with bias correction, L2 decay
off, global-norm clipping 1.0, linear warm-up then linear decay to 0, dropout 0.1) and the same
batching (shuffle, sort pools of 50 batches by length, shuffle the batches; each batch padded to
its longest text).

Tokenization is BERT's (lower-casing, accent stripping, punctuation split, greedy WordPiece) from the
tokenizer.json's vocabulary, [CLS] text [SEP], cut at --max-length; it is done once before timing.

Usage: fine_tune_reference.py --onnx F --tokenizer F --train F --test F [--epochs 1] [--batch 32]
       [--max-length 64] [--lr 1e-4] [--warmup 200] [--threads 2] [--seed 42] [--latency N]
Prints one JSON line: training examples/s, seconds per epoch, peak RSS, test accuracy, and with
--latency N the p50/p99 milliseconds of predicting one text at a time over N test texts.
"""
import argparse
import json
import math
import random
import resource
import time
import unicodedata

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- tokenizer

def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def basic_tokens(text):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    out, word = [], []
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
            if word:
                out.append("".join(word))
                word = []
        elif is_punctuation(ch) or 0x4E00 <= ord(ch) <= 0x9FFF:
            if word:
                out.append("".join(word))
                word = []
            out.append(ch)
        else:
            word.append(ch)
    if word:
        out.append("".join(word))
    return out


class WordPiece:
    def __init__(self, tokenizer_json, max_length):
        with open(tokenizer_json, encoding="utf-8") as f:
            spec = json.load(f)
        self.vocab = spec["model"]["vocab"]
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]
        self.max_length = max_length

    def encode(self, text):
        ids = []
        for word in basic_tokens(text):
            start, pieces = 0, []
            while start < len(word):
                end = len(word)
                piece = None
                while start < end:
                    candidate = ("##" if start > 0 else "") + word[start:end]
                    if candidate in self.vocab:
                        piece = self.vocab[candidate]
                        break
                    end -= 1
                if piece is None:
                    pieces = [self.unk]
                    break
                pieces.append(piece)
                start = end
            ids.extend(pieces)
        return [self.cls] + ids[: self.max_length - 2] + [self.sep]


# ---------------------------------------------------------------- weights

def onnx_bert_weights(path):
    """Initializers by HuggingFace BertModel name; anonymous MatMul weights named by the bias added to their product."""
    model = onnx.load(path)
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    consumers = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    out = {name: value for name, value in init.items() if not name.startswith("onnx::")}
    for node in model.graph.node:
        if node.op_type != "MatMul" or node.input[1] not in init:
            continue
        for add in consumers.get(node.output[0], []):
            bias = [name for name in add.input if name in init and name.endswith(".bias")]
            if add.op_type == "Add" and bias:
                out[bias[0][: -len(".bias")] + ".weight"] = init[node.input[1]].T
    return {name: torch.from_numpy(np.array(value)) for name, value in out.items()}


# ---------------------------------------------------------------- model

class Block(nn.Module):
    def __init__(self, width, heads, inner, dropout):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        self.value = nn.Linear(width, width)
        self.attention_output = nn.Linear(width, width)
        self.attention_norm = nn.LayerNorm(width, eps=1e-12)
        self.intermediate = nn.Linear(width, inner)
        self.output = nn.Linear(inner, width)
        self.output_norm = nn.LayerNorm(width, eps=1e-12)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, key_mask):
        b, t, w = x.shape
        split = lambda y: y.view(b, t, self.heads, w // self.heads).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(w // self.heads) + key_mask
        context = (self.dropout(scores.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, w)
        x = self.attention_norm(self.dropout(self.attention_output(context)) + x)
        return self.output_norm(self.dropout(self.output(F.gelu(self.intermediate(x)))) + x)


class Classifier(nn.Module):
    def __init__(self, weights, classes, dropout=0.1, heads=12):
        super().__init__()
        vocab, width = weights["embeddings.word_embeddings.weight"].shape
        layers = 1 + max(int(n.split(".")[2]) for n in weights if n.startswith("encoder.layer."))
        inner = weights["encoder.layer.0.intermediate.dense.weight"].shape[0]
        self.words = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(weights["embeddings.position_embeddings.weight"].shape[0], width)
        self.types = nn.Embedding(weights["embeddings.token_type_embeddings.weight"].shape[0], width)
        self.norm = nn.LayerNorm(width, eps=1e-12)
        self.blocks = nn.ModuleList(Block(width, heads, inner, dropout) for _ in range(layers))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, classes)
        with torch.no_grad():
            self.words.weight.copy_(weights["embeddings.word_embeddings.weight"])
            self.positions.weight.copy_(weights["embeddings.position_embeddings.weight"])
            self.types.weight.copy_(weights["embeddings.token_type_embeddings.weight"])
            self.norm.weight.copy_(weights["embeddings.LayerNorm.weight"])
            self.norm.bias.copy_(weights["embeddings.LayerNorm.bias"])
            parts = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
                     "attention_output": "attention.output.dense", "attention_norm": "attention.output.LayerNorm",
                     "intermediate": "intermediate.dense", "output": "output.dense", "output_norm": "output.LayerNorm"}
            for l, block in enumerate(self.blocks):
                for mine, theirs in parts.items():
                    module = getattr(block, mine)
                    module.weight.copy_(weights[f"encoder.layer.{l}.{theirs}.weight"])
                    module.bias.copy_(weights[f"encoder.layer.{l}.{theirs}.bias"])

    def forward(self, ids, mask):
        t = ids.shape[1]
        x = self.words(ids) + self.positions.weight[:t] + self.types.weight[0]
        x = self.dropout(self.norm(x))
        key_mask = ((mask - 1) * 10000).view(ids.shape[0], 1, 1, t)
        for block in self.blocks:
            x = block(x, key_mask)
        pooled = (x * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
        return self.head(self.dropout(pooled))


# ---------------------------------------------------------------- data

def read_label_text(path):
    rows = []
    with open(path, "rb") as f:
        for line in f:
            text = line.decode("utf-8", errors="replace").strip()
            if text:
                label, _, rest = text.partition(" ")
                rows.append((int(label), rest))
    return rows


def batches(lengths, batch, rng):
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out = []
    pool = batch * 50
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda i: lengths[i])
        out.extend(chunk[b:b + batch] for b in range(0, len(chunk), batch))
    rng.shuffle(out)
    return out


def tensors(encoded, rows):
    longest = max(len(encoded[i]) for i in rows)
    ids = torch.zeros(len(rows), longest, dtype=torch.long)
    mask = torch.zeros(len(rows), longest)
    for r, i in enumerate(rows):
        ids[r, : len(encoded[i])] = torch.tensor(encoded[i])
        mask[r, : len(encoded[i])] = 1
    return ids, mask


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--onnx", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--latency", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    tokenizer = WordPiece(a.tokenizer, a.max_length)
    train, test = read_label_text(a.train), read_label_text(a.test)
    classes = 1 + max(label for label, _ in train)
    train_ids = [tokenizer.encode(text) for _, text in train]
    test_ids = [tokenizer.encode(text) for _, text in test]
    model = Classifier(onnx_bert_weights(a.onnx), classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr)
    steps_per_epoch = math.ceil(len(train) / a.batch)
    total = steps_per_epoch * a.epochs

    def rate(step):  # mtl's OptimizerSettings.rateAt with decay linear, min 0
        if step < a.warmup:
            return (step + 1) / a.warmup
        decay_steps = total - a.warmup
        return 1 - (min(1, (step - a.warmup) / (decay_steps - 1)) if decay_steps > 1 else 0)

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    labels = torch.tensor([label for label, _ in train])
    epoch_seconds = []
    step = 0
    for _ in range(a.epochs):
        model.train()
        start = time.perf_counter()
        for rows in batches([len(ids) for ids in train_ids], a.batch, rng):
            ids, mask = tensors(train_ids, rows)
            loss = F.cross_entropy(model(ids, mask), labels[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
        epoch_seconds.append(time.perf_counter() - start)
    model.eval()
    right = 0
    with torch.no_grad():
        order = sorted(range(len(test)), key=lambda i: len(test_ids[i]))
        for b in range(0, len(order), 64):
            rows = order[b:b + 64]
            ids, mask = tensors(test_ids, rows)
            predicted = model(ids, mask).argmax(1)
            right += sum(int(predicted[r]) == test[i][0] for r, i in enumerate(rows))
        latencies = []
        for i in range(min(20, len(test))):  # warm-up, not timed
            model(*tensors(test_ids, [i]))
        for i in range(min(a.latency, len(test))):
            start = time.perf_counter()
            model(*tensors(test_ids, [i])).softmax(1)
            latencies.append(1000 * (time.perf_counter() - start))
    result = {
        "examples_per_second": round(len(train) * a.epochs / sum(epoch_seconds), 1),
        "epoch_seconds": [round(s, 1) for s in epoch_seconds],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "test_accuracy": round(right / len(test), 4),
        "threads": a.threads,
    }
    if latencies:
        latencies.sort()
        result["latency_ms_p50"] = round(latencies[len(latencies) // 2], 2)
        result["latency_ms_p99"] = round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
