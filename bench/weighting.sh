#!/usr/bin/env bash
# Reproduces docs/weighting.md: every loss weighting on the GoEmotions example against single-task
# baselines over seeds (Δm% and test metrics, mean ± std), what it did (mean task weights, gradient
# conflict), and its step time relative to equal weights measured side by side in one JVM.
#
#   [SEEDS="42 43 44"] [THREADS=1] [WEIGHTINGS="mgda upgrad"] bench/weighting.sh run [epochs]   (default 3, the example's)
#   bench/weighting.sh timing     # step time of every weighting in one JVM; run it on an otherwise idle machine
#   bench/weighting.sh report     # rewrites docs/weighting.md from runs/bench-weighting (keeps its notes)
#
# Runs go to runs/bench-weighting/seed-<s>/<weighting> (baselines in seed-<s>/single-task). A run
# whose metrics.json exists is kept, and a run another sweep is training is skipped (its directory's
# .lock), so two sweeps with THREADS=1 share a 2-core machine and an interrupted sweep goes on where
# it stopped (delete a leftover .lock after a kill).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mode="${1:-run}"
config=examples/plain/goemotions.yaml
out="$root/runs/bench-weighting"
doc="$root/docs/weighting.md"
loss_based=(equal uncertainty dwa rlw gls famo stch imtl-l)
gramian_based=(gradnorm mgda pcgrad cagrad imtl-g imtl nash-mtl aligned-mtl upgrad dualproj gradvac config fairgrad sdmgrad krum
  dbmtl moco modo)
gradient_based=(graddrop trimmed-mean excess-mtl)
bilevel=(auto-lambda moml forum)
all=("${loss_based[@]}" "${gramian_based[@]}" "${gradient_based[@]}" "${bilevel[@]}")

run() {
  local epochs="${1:-3}"
  local seeds weightings threads=()
  read -r -a seeds <<< "${SEEDS:-42}"
  read -r -a weightings <<< "${WEIGHTINGS:-${all[*]}}"
  if [ -n "${THREADS:-}" ]; then threads=(--set "engine.threads=$THREADS"); fi
  local start
  start=$(date +%s)
  mkdir -p "$out"
  for seed in "${seeds[@]}"; do
    local base="$out/seed-$seed"
    mkdir -p "$base"
    if [ ! -f "$base/single-task/baselines.json" ]; then
      if mkdir "$base/single-task.lock" 2>/dev/null; then
        echo "== seed $seed: single-task baselines" >&2
        bin/mtl train "$config" --single-task --quiet --overwrite --set "output=$base" --set "training.epochs=$epochs" \
          --set "seed=$seed" "${threads[@]}" > /dev/null
        rmdir "$base/single-task.lock"
      else
        echo "== seed $seed: waiting for the baselines another sweep trains" >&2
        while [ ! -f "$base/single-task/baselines.json" ]; do sleep 20; done
      fi
    fi
    for w in "${weightings[@]}"; do
      [ -f "$base/$w/metrics.json" ] && continue
      mkdir "$base/$w.lock" 2>/dev/null || continue
      echo "== seed $seed: $w" >&2
      bin/mtl train "$config" --quiet --overwrite --set "name=$w" --set "weighting.type=$w" --set "output=$base/$w" \
        --set "training.epochs=$epochs" --set "seed=$seed" --set "baselines=$base/single-task/baselines.json" \
        "${threads[@]}" > /dev/null
      rmdir "$base/$w.lock"
    done
  done
  echo "SEEDS=\"${seeds[*]}\"${THREADS:+ THREADS=$THREADS}${WEIGHTINGS:+ WEIGHTINGS=\"$WEIGHTINGS\"} bench/weighting.sh run $epochs: $(( ($(date +%s) - start) / 60 )) minutes" >> "$out/command.txt"
  echo "$epochs" > "$out/epochs.txt"
}

timing() {
  local methods=""
  for w in "${loss_based[@]}"; do methods="$methods,$w"; done
  for w in "${gramian_based[@]}"; do methods="$methods,$w:representation"; done
  for w in "${gradient_based[@]}"; do methods="$methods,$w"; done  # representation only, no `gramian` setting
  for w in "${bilevel[@]}"; do methods="$methods,$w"; done         # every parameter, with the meta batch
  for w in mgda pcgrad upgrad; do methods="$methods,$w:parameters"; done
  mkdir -p "$out"
  bench/weighting-step-time.sh "$config" "${methods#,}" 40 5 > "$out/timing.md.tmp"
  mv "$out/timing.md.tmp" "$out/timing.md"
  echo "wrote $out/timing.md" >&2
}

# Mean task weights and gradient cosines in the last epoch, from the first seed's runs.
behaviour() {
  python3 - "$@" <<'PY'
import json, sys, os
rows = []
for d in sys.argv[1:]:
    if not os.path.isfile(d + "/metrics.json"):
        continue
    last = json.load(open(d + "/metrics.json"))["epochs"][-1]
    rows.append((d.rsplit("/", 1)[1], last.get("mean_weight", {}), last.get("mean_cosine", {})))
tasks = list(rows[0][1].keys())
pairs = sorted({p for r in rows for p in r[2]}, key=lambda p: [k for r in rows for k in r[2]].index(p))
print("| weighting | " + " | ".join("w " + t for t in tasks) + " | " + " | ".join("cos " + p for p in pairs) + " |")
print("|---|" + "---:|" * (len(tasks) + len(pairs)))
for name, w, c in rows:
    print("| " + name + " | " + " | ".join("%.3f" % w[t] for t in tasks) + " | "
          + " | ".join(("%.3f" % c[p]) if p in c else "-" for p in pairs) + " |")
PY
}

report() {
  local epochs first
  epochs=$(cat "$out/epochs.txt")
  first=$(find "$out" -maxdepth 1 -name 'seed-*' -printf '%f\n' | sort | head -1)
  local dirs=()
  for w in "${all[@]}"; do dirs+=("$out/$first/$w"); done
  {
    echo "# Loss weightings measured on GoEmotions"
    echo
    echo "Made by \`bench/weighting.sh report\` from runs made on $(nproc) cores"
    echo "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(java -version 2>&1 | head -1)), CPU only:"
    echo
    sed 's/^\(.*\): \([0-9]*\) minutes$/- `\1` (\2 minutes)/' "$out/command.txt"
    echo "- \`bench/weighting.sh timing\` (the step-time table)"
    echo
    echo "Every run is \`examples/plain/goemotions.yaml\` (hard sharing, CNN encoder, Adam 0.001, batch 32,"
    echo "$epochs epochs, the last model kept) with only \`weighting\` and the seed changed; gradient-based methods use their"
    echo "defaults, \`gramian: representation\` (the pooled shared vector). Single-task baselines: the same model"
    echo "with one task, the same steps per epoch and the same seed. Δm% is the mean over tasks of the mean"
    echo "sign-adjusted relative change of every test metric against the same seed's baseline; positive means"
    echo "better than training alone."
    echo
    echo "## Test metrics and Δm% against single-task baselines"
    echo
    python3 bench/sharing_seeds.py --label=weighting "$out" "${all[@]}"
    echo
    echo "## What each method did (last epoch, seed ${first#seed-})"
    echo
    echo "Mean weight per task, and mean cosine similarity of task gradients on the shared representation"
    echo "(measured every step for gradient-based methods, every \`log-every\` steps otherwise). Methods that"
    echo "combine the gradients coordinate by coordinate (graddrop, trimmed-mean) report weight 1: their heads'."
    echo
    behaviour "${dirs[@]}"
    echo
    echo "## Step time relative to equal weights"
    echo
    echo "One JVM, one network per method from the same seed, the same 40 batches per round, 5 rounds in"
    echo "rotating order after a warm-up; the median round gives ms/step."
    echo
    cat "$out/timing.md"
    # Observations written by hand below this marker survive a rerun.
    if [ -f "$doc" ] && grep -q '^<!-- notes -->' "$doc"; then
      echo
      sed -n '/^<!-- notes -->/,$p' "$doc"
    fi
  } > "$doc.tmp"
  mv "$doc.tmp" "$doc"
  echo "wrote $doc" >&2
}

case "$mode" in
  run) run "${2:-3}" ;;
  timing) timing ;;
  report) report ;;
  *) echo "usage: bench/weighting.sh run [epochs] | timing | report" >&2; exit 2 ;;
esac
