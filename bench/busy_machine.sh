#!/usr/bin/env bash
# Training on a busy machine: mtl and the plain PyTorch reference, each alone and then beside a
# competing process with as many busy threads as there are cores (../shared/tools/under-load), on
# the same config, steps and thread count. mtl runs twice under load: as the launcher starts it
# (GOMP_SPINCOUNT=10000) and with libgomp's default spinning (300,000). Prints a Markdown table of
# the seconds of the training steps (evaluation excluded).
# Usage: bench/busy_machine.sh [config] [steps] [threads]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
config="${1:-bench/performance/sentence-seven-cnn.yaml}"
steps="${2:-150}"
threads="${3:-$(nproc)}"
load="$root/../shared/tools/under-load"
python=/usr/bin/python3
out="$root/runs/bench-busy"
mkdir -p "$out"
bin/mtl --help > /dev/null   # build first
"$python" bench/reference/spec_from_config.py "$config" "$threads" 1 "$steps" > "$out/spec.json"

mtl_seconds() {   # $1: label, then the command prefix
  local label="$1"; shift
  rm -rf "$out/mtl"
  "$@" bin/mtl train "$config" --quiet --set training.epochs=1 --set "training.max-steps-per-epoch=$steps" \
    --set "engine.threads=$threads" --set "output=$out/mtl" > /dev/null 2>&1
  "$python" -c "import json,sys; print('| %s | %.1f |' % (sys.argv[1], json.load(open(sys.argv[2]))['epochs'][0]['seconds']))" \
    "$label" "$out/mtl/metrics.json"
}
reference_seconds() {
  local label="$1"; shift
  "$@" "$python" bench/reference/train_reference.py "$out/spec.json" > "$out/reference.json"
  "$python" -c "import json,sys; print('| %s | %.1f |' % (sys.argv[1], sum(json.load(open(sys.argv[2]))['epoch_seconds'])))" \
    "$label" "$out/reference.json"
}

echo "$(basename "$config" .yaml), $steps steps, $threads threads; load: $(nproc) busy threads"
echo
echo "| run | seconds |"
echo "|---|---:|"
mtl_seconds "mtl, quiet" env
reference_seconds "PyTorch reference, quiet" env
mtl_seconds "mtl, under load" "$load" -n "$(nproc)" --
mtl_seconds "mtl, under load, libgomp's default spinning" "$load" -n "$(nproc)" -- env GOMP_SPINCOUNT=300000
reference_seconds "PyTorch reference, under load" "$load" -n "$(nproc)" --
