#!/usr/bin/env bash
# From-scratch token embeddings against the frozen pretrained sentence encoder (all-MiniLM-L6-v2,
# model.pretrained-encoder) under hard sharing, on the example configs: everything else (encoder
# above, sizes, dropout, optimizer, epochs, seed) as the config has it. Runs one after the other
# in this run and prints a Markdown table per config: each task's test metrics, Δm% of the
# pretrained run against the scratch one, and wall time (the pretrained run's includes encoding
# every text once; a second run in the same directory reads them from its features/ cache, also
# timed).
# Usage: bench/pretrained.sh [config...]   (default: examples/plain/goemotions.yaml examples/plain/sentence-classic.yaml)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(examples/plain/goemotions.yaml examples/plain/sentence-classic.yaml)
bin/mtl --help > /dev/null   # build first, so no run below pays for it
out="$root/runs/bench-pretrained"
mkdir -p "$out"
seconds() { local start=$SECONDS; "$@" > /dev/null; echo $(( SECONDS - start )); }
for config in "${configs[@]}"; do
  name="$(basename "$config" .yaml)"
  rm -rf "$out/$name-scratch" "$out/$name-pretrained"
  scratch=$(seconds bin/mtl train "$config" --quiet --set "output=$out/$name-scratch" --set sharing.type=hard)
  pretrained=$(seconds bin/mtl train "$config" --quiet --set "output=$out/$name-pretrained" --set sharing.type=hard \
    --set "model.pretrained-encoder={model: all-minilm-l6-v2, mode: frozen}")
  cached=$(seconds bin/mtl train "$config" --quiet --set "output=$out/$name-pretrained" --set sharing.type=hard \
    --set "model.pretrained-encoder={model: all-minilm-l6-v2, mode: frozen}")
  python3 bench/pretrained_table.py "$config" "$out/$name-scratch" "$out/$name-pretrained" "$scratch" "$pretrained" "$cached"
done
