#!/usr/bin/env bash
# Training throughput of mtl against a plain PyTorch reference (bench/reference/train_reference.py),
# the same model, data, batching and thread count, one after the other in this run.
# Setup (once, as root): apt-get install -y python3-torch libopenblas0-pthread
#
# Usage: bench/performance.sh [epochs] [threads] [config...]
#   defaults: 1 epoch, $(nproc) threads, bench/performance/*.yaml
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
epochs="${1:-1}"
threads="${2:-$(nproc)}"
shift $(( $# > 2 ? 2 : $# ))
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(bench/performance/*.yaml)
python=/usr/bin/python3   # Debian's torch lives in the system Python
"$python" -c "import torch" 2>/dev/null || { echo "needs Debian's PyTorch: apt-get install -y python3-torch libopenblas0-pthread" >&2; exit 1; }
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ] || { echo "needs OpenBLAS (apt-get install -y libopenblas0-pthread); the reference BLAS would flatter mtl" >&2; exit 1; }
out="$root/runs/bench-performance"
mkdir -p "$out"

echo "| run | side | examples/s | s/epoch | peak RSS MB | test metrics | mtl / reference |"
echo "|---|---|---:|---:|---:|---|---:|"
for config in "${configs[@]}"; do
  name="$(basename "$config" .yaml)"
  "$python" bench/reference/spec_from_config.py "$config" "$threads" "$epochs" > "$out/$name-spec.json"
  /usr/bin/time -f '%M' -o "$out/$name-mtl.rss" bin/mtl train "$config" --quiet --set "training.epochs=$epochs" \
    --set "engine.threads=$threads" --set "output=$out/$name" > /dev/null
  reference=$("$python" bench/reference/train_reference.py "$out/$name-spec.json")
  "$python" - "$out/$name/metrics.json" "$(cat "$out/$name-mtl.rss")" "$reference" "$name" <<'PY'
import json, sys
metrics, rss, reference, name = json.load(open(sys.argv[1])), int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
epochs = metrics["epochs"]
# Examples per step: one batch per source; the reference counts the rows it trained on.
seconds = sum(e["seconds"] for e in epochs)
steps = sum(e["steps"] for e in epochs)
per_step = reference["examples_per_second"] * sum(reference["epoch_seconds"]) / (reference["steps_per_epoch"] * len(reference["epoch_seconds"]))
mtl_eps = steps * per_step / seconds
def fmt(test):
    return ", ".join("%s %s %.4f" % (t, m, v) for t, ms in test.items() for m, v in ms.items())
mtl_test = {t: {m["primary"]: m["values"][m["primary"]]} for t, m in metrics["test"].items()}
print("| %s | mtl | %.0f | %.1f | %.0f | %s | %.2f |" % (name, mtl_eps, seconds / len(epochs), rss / 1024, fmt(mtl_test), mtl_eps / reference["examples_per_second"]))
print("| %s | PyTorch | %.0f | %.1f | %.0f | %s | |" % (name, reference["examples_per_second"], sum(reference["epoch_seconds"]) / len(reference["epoch_seconds"]), reference["peak_rss_mb"], fmt(reference["test"])))
PY
done
