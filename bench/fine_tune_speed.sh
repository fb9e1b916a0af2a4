#!/usr/bin/env bash
# Fine-tuning speed and memory of mtl against a plain PyTorch script (bench/reference/fine_tune_reference.py)
# fine-tuning the same architecture from the same ONNX weights: all-MiniLM-L6-v2 on SST-2 (6,920 training
# texts, 1,821 test), one epoch, batch 32, max length 64, Adam 1e-4 with 200 warm-up steps then linear
# decay, clip 1.0, dropout 0.1, mean pooling, batches grouped by length the same way. Both run one after
# the other in this script on the same threads; then one-text prediction latency (p50/p99) of each
# trained model over the same test texts. Prints a Markdown table.
# Setup (once, as root): apt-get install -y python3-torch libopenblas0-pthread python3-onnx
# Usage: bench/fine_tune_speed.sh [threads]   (default 2)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
threads="${1:-2}"
python=/usr/bin/python3   # Debian's torch lives in the system Python
"$python" -c "import torch, onnx" 2>/dev/null || { echo "needs Debian's PyTorch and ONNX: apt-get install -y python3-torch libopenblas0-pthread python3-onnx" >&2; exit 1; }
bin/mtl --help > /dev/null   # build first, so no run below pays for it
out="$root/runs/bench-fine-tune-speed"
rm -rf "$out" && mkdir -p "$out"
data="$(cd "$root/../shared/data/sentence-classic" && pwd)"
cat > "$out/sst2.yaml" <<YAML
name: fine-tune-speed
seed: 42
tasks:
  - {name: sst2, type: text-classification, format: label-text, labels: [negative, positive], label-encoding: index,
     train: $data/stsa.binary.train, test: $data/stsa.binary.test}
model:
  pretrained-encoder: {model: all-minilm-l6-v2, mode: fine-tune, train-layers: all, max-length: 64}
  pooling: mean
  dropout: 0.1
sharing: hard
training: {optimizer: adam, learning-rate: 0.0001, warmup-steps: 200, decay: linear, clip-norm: 1.0, epochs: 1, batch-size: 32}
engine: {type: djl-pytorch, threads: $threads}
YAML
/usr/bin/time -v bin/mtl train "$out/sst2.yaml" --quiet --set "output=$out/mtl" > "$out/mtl.log" 2> "$out/mtl.time"
cache="${DJL_CACHE_DIR:-$HOME/.djl.ai}/mtl/all-minilm-l6-v2"   # extracted there by the mtl run above
/usr/bin/time -v "$python" bench/reference/fine_tune_reference.py --onnx "$cache/all-minilm-l6-v2.onnx" \
  --tokenizer "$cache/all-minilm-l6-v2-tokenizer.json" --train "$data/stsa.binary.train" --test "$data/stsa.binary.test" \
  --threads "$threads" --latency 500 > "$out/reference.json" 2> "$out/reference.time"
cut -d' ' -f2- "$data/stsa.binary.test" > "$out/texts.txt"
bench/bench-java.sh InferenceLatency "$out/mtl/model" "$out/texts.txt" "$threads" 500 20 > "$out/mtl-latency.json"
"$python" - "$out" "$threads" <<'PY'
import json, re, sys
out, threads = sys.argv[1], sys.argv[2]
def rss(path):
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read()).group(1)) / 1024
metrics = json.load(open(f"{out}/mtl/metrics.json"))
mtl_seconds = metrics["epochs"][0]["seconds"]
mtl_accuracy = metrics["test"]["sst2"]["values"]["accuracy"]
latency = json.load(open(f"{out}/mtl-latency.json"))
ref = json.load(open(f"{out}/reference.json"))
ref_seconds = ref["epoch_seconds"][0]
print(f"Fine-tuning all-MiniLM-L6-v2 on SST-2, one epoch of 6,920 texts, {threads} threads\n")
print("| | training texts/s | epoch s | peak RSS (process) | test accuracy | predict one text p50 / p99 ms |")
print("|---|---|---|---|---|---|")
print(f"| mtl | {6920 / mtl_seconds:.1f} | {mtl_seconds:.0f} | {rss(out + '/mtl.time'):.0f} MB | {mtl_accuracy:.4f} |"
      f" {latency['p50_ms']:.1f} / {latency['p99_ms']:.1f} |")
print(f"| plain PyTorch | {6920 / ref_seconds:.1f} | {ref_seconds:.0f} | {rss(out + '/reference.time'):.0f} MB | {ref['test_accuracy']:.4f} |"
      f" {ref['latency_ms_p50']:.1f} / {ref['latency_ms_p99']:.1f} |")
print(f"\nmtl / PyTorch: training speed {ref_seconds / mtl_seconds:.2f}x, peak RSS {rss(out + '/mtl.time') / rss(out + '/reference.time'):.2f}x,"
      f" latency p50 {latency['p50_ms'] / ref['latency_ms_p50']:.2f}x")
PY
