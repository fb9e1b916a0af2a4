#!/usr/bin/env python3
"""Loads an mtl model's parameters.safetensors into plain PyTorch and checks that it gives mtl's scores.

Usage: safetensors_check.py MODEL_DIR PREDICTIONS.jsonl
  PREDICTIONS.jsonl: what `mtl predict MODEL_DIR --input TEXTS --output PREDICTIONS.jsonl` wrote.
Covers what a Python user would rebuild by hand: a model with hard sharing, the `words` tokenizer,
the `cnn` encoder, and classification heads. Reads safetensors with the standard library
(the format is an 8-byte little-endian header length, a JSON header, then little-endian tensors),
so it needs only torch. Prints the largest score difference; exits 1 if it exceeds 1e-4.
"""
import json
import struct
import unicodedata
import sys

import torch
import torch.nn.functional as F

def tokenize(text):
    """mtl's WordTokenizer, by Unicode category as Java's regex classes have them: a letter then letters,
    marks, digits and apostrophes; digits with inner . , : separators; any other character that is
    neither white space nor a control or format character (such as U+200D) is a token of its own."""
    category = unicodedata.category
    tokens, i, n = [], 0, len(text)
    while i < n:
        c, k = text[i], category(text[i])
        j = i + 1
        if k[0] == "L":
            while j < n and (category(text[j])[0] in "LM" or category(text[j]) == "Nd" or text[j] == "'"):
                j += 1
        elif k == "Nd":
            while j < n and category(text[j]) == "Nd":
                j += 1
            while j + 1 < n and text[j] in ".,:" and category(text[j + 1]) == "Nd":
                j += 1
                while j < n and category(text[j]) == "Nd":
                    j += 1
        elif c.isspace() or k[0] == "C":
            i = j
            continue
        tokens.append(text[i:j])
        i = j
    return tokens


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        raw = bytearray(data[8 + length + begin:8 + length + end])
        tensors[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(entry["shape"])
    return tensors


def main():
    model_dir, predictions_file = sys.argv[1], sys.argv[2]
    manifest = json.load(open(f"{model_dir}/mtl-model.json"))
    sharing = (manifest.get("sharing") or {}).get("type")
    encoder = manifest["model"].get("encoder", "cnn")
    if sharing != "hard" or encoder != "cnn" or manifest["tokenizer"]["type"] != "words":
        sys.exit(f"this check rebuilds hard sharing with the cnn encoder and the words tokenizer; the model has "
                 f"sharing {sharing}, encoder {encoder}, tokenizer {manifest['tokenizer']['type']}")
    settings = manifest["tokenizer"]["settings"]
    lowercase, max_length = settings.get("lowercase", True), settings.get("max-length", 128)
    vocabulary = {word: i for i, word in enumerate(open(f"{model_dir}/tokenizer/vocabulary.txt", encoding="utf-8").read().split("\n"))}
    p = read_safetensors(f"{model_dir}/parameters/parameters.safetensors")

    def scores(text):
        words = tokenize(text.lower() if lowercase else text)[:max_length]
        if not words:
            return None
        ids = torch.tensor([[vocabulary.get(w, 1) for w in words]])
        x = F.embedding(ids, p["shared.embedding.weight"])  # [1, T, E]
        t = x.shape[1]
        # One convolution per window width, zero-padded by half the width, cut back to T positions; max over time.
        y = torch.cat([F.relu(F.conv1d(x.transpose(1, 2), p[f"shared.encoder.conv{w}.weight"], p[f"shared.encoder.conv{w}.bias"],
                                       padding=w // 2))[:, :, :t] for w in (3, 4, 5)], 1)
        pooled = y.max(2).values
        out = {}
        for task in manifest["tasks"]:
            name = task["name"]
            logits = F.linear(pooled, p[f"head.{name}.weight"], p[f"head.{name}.bias"])[0]
            multi = task["settings"].get("multi-label", False)
            probabilities = torch.sigmoid(logits) if multi else torch.softmax(logits, 0)
            out[name] = dict(zip(task["settings"]["labels"], probabilities.tolist()))
        return out

    worst, rows = 0.0, 0
    with torch.no_grad():
        for line in open(predictions_file, encoding="utf-8"):
            row = json.loads(line)
            mine = scores(row["text"])
            if mine is None:
                continue  # a text without words: nothing to compare
            for name, prediction in row.items():
                if name == "text":
                    continue
                for label, value in prediction["scores"].items():
                    worst = max(worst, abs(value - mine[name][label]))
            rows += 1
    print(json.dumps({"texts": rows, "max_abs_difference": worst}))
    sys.exit(0 if rows > 0 and worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()
