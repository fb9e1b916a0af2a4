#!/usr/bin/env bash
# Reproduces docs/weighting.md: every loss weighting on the GoEmotions example against single-task
# baselines (test metrics, Δm%), what it did (mean task weights, gradient conflict), and its step
# time relative to equal weights measured side by side in one JVM.
#
# Usage: bench/weighting.sh [epochs]    (default 3, the example's)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
epochs="${1:-3}"
config=examples/plain/goemotions.yaml
out="$root/runs/bench-weighting"
doc="$root/docs/weighting.md"
loss_based=(equal uncertainty dwa rlw gls)
gradient_based=(gradnorm mgda pcgrad cagrad imtl-g nash-mtl aligned-mtl upgrad)
start=$(date +%s)

echo "== single-task baselines" >&2
bin/mtl train "$config" --single-task --quiet --set "output=$out" --set "training.epochs=$epochs" > /dev/null
dirs=()
for w in "${loss_based[@]}" "${gradient_based[@]}"; do
  echo "== $w" >&2
  bin/mtl train "$config" --quiet --set "name=$w" --set "weighting.type=$w" --set "output=$out/$w" \
    --set "training.epochs=$epochs" --set "baselines=$out/single-task/baselines.json" > /dev/null
  dirs+=("$out/$w")
done
quality=$(bin/mtl compare "${dirs[@]}" | sed "s#| $out/#| #")

# Mean task weights and gradient cosines in the last epoch, from each run's metrics.json.
behaviour=$(python3 - "${dirs[@]}" <<'PY'
import json, sys
rows = []
for d in sys.argv[1:]:
    last = json.load(open(d + "/metrics.json"))["epochs"][-1]
    w = last.get("mean_weight", last.get("meanWeight")); c = last.get("mean_cosine", last.get("meanCosine"))
    rows.append((d.rsplit("/", 1)[1], w, c))
tasks = list(rows[0][1].keys()); pairs = list(rows[0][2].keys())
print("| weighting | " + " | ".join("w " + t for t in tasks) + " | " + " | ".join("cos " + p for p in pairs) + " |")
print("|---|" + "---:|" * (len(tasks) + len(pairs)))
for name, w, c in rows:
    print("| " + name + " | " + " | ".join("%.3f" % w[t] for t in tasks) + " | "
          + " | ".join(("%.3f" % c[p]) if p in c else "-" for p in pairs) + " |")
PY
)

echo "== step time" >&2
methods="equal,uncertainty,dwa,rlw,gls"
for w in "${gradient_based[@]}"; do methods="$methods,$w:representation"; done
for w in mgda pcgrad upgrad; do methods="$methods,$w:parameters"; done
timing=$(bench/weighting-step-time.sh "$config" "$methods" 40 5)
minutes=$(( ($(date +%s) - start) / 60 ))

{
  echo "# Loss weightings measured on GoEmotions"
  echo
  echo "Made by \`bench/weighting.sh $epochs\` in $minutes minutes on $(nproc) cores"
  echo "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(java -version 2>&1 | head -1)), CPU only."
  echo "Every run is \`examples/plain/goemotions.yaml\` (hard sharing, CNN encoder, Adam 0.001, batch 32, seed 42,"
  echo "$epochs epoch(s)) with only \`weighting\` changed; gradient-based methods use their default,"
  echo "\`gramian: representation\` (the pooled shared vector). Single-task baselines: the same model with"
  echo "one task and the same steps per epoch. Δm% is the mean over tasks of the mean sign-adjusted relative"
  echo "change of every test metric against its baseline; positive means better than training alone."
  echo
  echo "## Test metrics and Δm% against single-task baselines"
  echo
  echo "$quality"
  echo
  echo "## What each method did (last epoch)"
  echo
  echo "Mean weight per task, and mean cosine similarity of task gradients on the shared representation"
  echo "(measured every step for gradient-based methods, every \`log-every\` steps otherwise)."
  echo
  echo "$behaviour"
  echo
  echo "## Step time relative to equal weights"
  echo
  echo "One JVM, one network per method from the same seed, the same 40 batches per round, 5 rounds in"
  echo "rotating order after a warm-up; the median round gives ms/step."
  echo
  echo "$timing"
  # Observations written by hand below this marker survive a rerun.
  if [ -f "$doc" ] && grep -q '^<!-- notes -->' "$doc"; then
    echo
    sed -n '/^<!-- notes -->/,$p' "$doc"
  fi
} > "$doc.tmp"
mv "$doc.tmp" "$doc"
echo "wrote $doc" >&2
