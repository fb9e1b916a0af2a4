#!/usr/bin/env bash
# mtl against a plain PyTorch reference (bench/reference/train_reference.py): the same model, data,
# batching and thread count, one after the other in this run. Prints two Markdown tables: training
# (examples/s, s/epoch, peak RSS, test metrics, ratio) and prediction (one-text latency, batches of
# 64, CLI cold start).
# Setup (once, as root): apt-get install -y python3-torch libopenblas0-pthread
#
# mtl runs three ways: PyTorch engine (sparse and dense embedding updates) and TensorFlow engine.
# Usage: bench/performance.sh [epochs] [threads] [max-steps-per-epoch] [config...]
#   defaults: 1 epoch, $(nproc) threads, 0 (= full epochs), bench/performance/*.yaml
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
epochs="${1:-1}"
threads="${2:-$(nproc)}"
steps="${3:-0}"
shift $(( $# > 3 ? 3 : $# ))
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(bench/performance/*.yaml)
python=/usr/bin/python3   # Debian's torch lives in the system Python
"$python" -c "import torch" 2>/dev/null || { echo "needs Debian's PyTorch: apt-get install -y python3-torch libopenblas0-pthread" >&2; exit 1; }
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ] || { echo "needs OpenBLAS (apt-get install -y libopenblas0-pthread); the reference BLAS would flatter mtl" >&2; exit 1; }
bin/mtl --help > /dev/null   # build first, so no run below pays for it
out="$root/runs/bench-performance"
mkdir -p "$out"
: > "$out/training.md"
: > "$out/prediction.md"
limit=()
[ "$steps" -gt 0 ] && limit=(--set "training.max-steps-per-epoch=$steps")

for config in "${configs[@]}"; do
  name="$(basename "$config" .yaml)"
  "$python" bench/reference/spec_from_config.py "$config" "$threads" "$epochs" "$steps" "$out/$name-texts.txt" > "$out/$name-spec.json"
  "$python" bench/reference/train_reference.py "$out/$name-spec.json" > "$out/$name-reference.json"
  # mtl as configured (PyTorch, sparse embedding updates, the default), with dense updates as the
  # reference makes them, and on the TensorFlow engine (which refuses BiLSTMs: no row then).
  for variant in sparse dense tensorflow; do
    rm -rf "$out/$name-$variant" "$out/$name-$variant.rss"
    settings=(--set "training.embedding-updates=$([ "$variant" = dense ] && echo dense || echo sparse)")
    [ "$variant" = tensorflow ] && settings+=(--set engine.type=tensorflow)
    /usr/bin/time -f '%M' -o "$out/$name-$variant.rss" bin/mtl train "$config" --quiet --set "training.epochs=$epochs" \
      --set "engine.threads=$threads" "${settings[@]}" ${limit[@]+"${limit[@]}"} \
      --set "output=$out/$name-$variant" > /dev/null 2> "$out/$name-$variant.err" || {
        rm -f "$out/$name-$variant.rss"
        [ "$variant" = tensorflow ] || { cat "$out/$name-$variant.err" >&2; exit 1; }
      }
  done
  for t in $(printf '%s\n' 1 "$threads" | sort -nu); do
    for variant in sparse tensorflow; do
      [ -d "$out/$name-$variant/model" ] || continue
      bench/bench-java.sh InferenceLatency "$out/$name-$variant/model" "$out/$name-texts.txt" "$t" > "$out/$name-inference-$variant-$t.json"
    done
  done
  # Cold start: a fresh JVM from the command line to the first prediction printed.
  text="$(head -1 "$out/$name-texts.txt")"
  for i in 1 2 3; do
    start=$(date +%s%N)
    bin/mtl predict "$out/$name-sparse/model" "$text" > /dev/null
    echo $(( ($(date +%s%N) - start) / 1000000 ))
  done > "$out/$name-cold-start.txt"
  "$python" bench/performance_tables.py "$out" "$name"
done
echo "Training ($epochs epoch(s), $threads threads$([ "$steps" -gt 0 ] && echo ", at most $steps steps per epoch")):"
echo
echo "| run | side | examples/s | s/epoch | peak RSS MB | test metrics | mtl / reference |"
echo "|---|---|---:|---:|---:|---|---:|"
cat "$out/training.md"
echo
echo "Prediction (every task for each text, text in and labels out):"
echo
echo "| run | side | threads | one text: p50 / p90 / p99 ms | batches of 64: texts/s | CLI cold start to first prediction, s |"
echo "|---|---|---:|---:|---:|---:|"
cat "$out/prediction.md"
