#!/usr/bin/env bash
# Pseudo-labelling when labels are scarce: examples/semi-supervised.yaml (SST-2 with 10% of its
# training labels, the rest as unlabelled texts, beside SUBJ and TREC) by self-training as
# configured (confidence 0.9, 1000 per class and round), by stricter self-training (0.97, 300) and
# by co-training (second view: the mean encoder instead of the CNN), and by self-training on the
# frozen pretrained MiniLM encoder (model.pretrained-encoder), each against the same model with
# every SST-2 label (examples/plain/sentence-classic.yaml, with the pretrained encoder for the last). One after the other in this run; prints a
# Markdown table per method: each round's pseudo-labels (added, their accuracy against the hidden
# labels) and test metrics, round 0 being labelled-only training.
# Usage: bench/semi_supervised.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin/mtl --help > /dev/null   # build first, so no run below pays for it
out="$root/runs/bench-semi-supervised"
rm -rf "$out" && mkdir -p "$out"
seconds() { local start=$SECONDS; "$@" > /dev/null; echo $(( SECONDS - start )); }
self=$(seconds bin/mtl train examples/semi-supervised.yaml --quiet --set "output=$out/self-training")
strict=$(seconds bin/mtl train examples/semi-supervised.yaml --quiet --set "output=$out/self-training-strict" \
  --set pseudo-labels.confidence=0.97 --set pseudo-labels.max-per-class=300)
co=$(seconds bin/mtl train examples/semi-supervised.yaml --quiet --set "output=$out/co-training" \
  --set pseudo-labels.method=co-training --set "pseudo-labels.second-view=[model.encoder=mean]")
all=$(seconds bin/mtl train examples/plain/sentence-classic.yaml --quiet --set "output=$out/all-labels")
minilm="model.pretrained-encoder={model: all-minilm-l6-v2, mode: frozen}"
pre=$(seconds bin/mtl train examples/semi-supervised.yaml --quiet --set "output=$out/self-training-pretrained" --set "$minilm")
preall=$(seconds bin/mtl train examples/plain/sentence-classic.yaml --quiet --set "output=$out/all-labels-pretrained" --set "$minilm")
python3 bench/semi_supervised_table.py "$out" self-training "$self" all-labels "$all" self-training-strict "$strict" all-labels "$all" \
  co-training "$co" all-labels "$all" self-training-pretrained "$pre" all-labels-pretrained "$preall"
