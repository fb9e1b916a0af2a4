#!/usr/bin/env bash
# Reproduces docs/sharing.md: every sharing strategy against single-task baselines on GoEmotions
# (three label sets over one corpus) and on SST-2 + SUBJ + TREC (three datasets), on this machine.
# Each dataset first trains its single-task baselines (same model, same steps per epoch), then one
# run per strategy; `mtl compare` tabulates test metrics, Δm%, training time and parameters.
#
# Usage: [SEEDS="42 43 44"] [PATIENCE=2] [VECTORS=glove.txt.gz] [STRATEGIES="hard asp"] [DATASETS=sentence-classic] \
#          bench/sharing.sh [goemotions-epochs] [sentence-classic-epochs]    (defaults: 1 and 2)
# PATIENCE=N keeps each run's best dev evaluation (select-by: mean; the single-task baselines select
# on their one task) and stops after N evaluations without a better one, so a long budget converges.
# With several seeds every run repeats per seed (baselines too) and a table gives Δm% as mean ± std
# over the seeds (bench/sharing_seeds.py); the `mtl compare` table is the first seed's.
# VECTORS=file starts every run's embedding (baselines too) from those 100-d word vectors, fine-tuned
# and scaled to the random start's size (bench/word-vectors.sh fetches GloVe 6B 100-d); runs go to
# runs/bench-sharing-vectors. STRATEGIES and DATASETS pick a subset; docs/sharing.md is rewritten only
# when both datasets and every strategy ran, otherwise the tables go to stdout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ge_epochs="${1:-1}"
sc_epochs="${2:-2}"
out="$root/runs/bench-sharing"
doc="$root/docs/sharing.md"
all_strategies="hard soft shared-private hierarchical cross-stitch mmoe asp"
read -r -a strategies <<< "${STRATEGIES:-$all_strategies}"
read -r -a datasets <<< "${DATASETS:-goemotions sentence-classic}"
read -r -a seeds <<< "${SEEDS:-42}"
selection=()
if [ -n "${PATIENCE:-}" ]; then
  selection=(--set "training.select-by=mean" --set "training.patience=$PATIENCE")
fi
if [ -n "${VECTORS:-}" ]; then
  out="$root/runs/bench-sharing-vectors"
  selection+=(--set "model.embedding-size=100" --set "model.word-vectors.file=$VECTORS"
    --set "model.word-vectors.train=fine-tune" --set "model.word-vectors.scale=match")
fi

# dataset name, config, epochs, then extra --set arguments for the hierarchical run
run_dataset() {
  local name=$1 config=$2 epochs=$3
  shift 3
  local first=""
  for seed in "${seeds[@]}"; do
    local base="$out/$name/seed-$seed"
    echo "== $name, seed $seed: single-task baselines" >&2
    bin/mtl train "$config" --single-task --quiet --overwrite --set "output=$base" --set "training.epochs=$epochs" --set "seed=$seed" "${selection[@]}" > /dev/null
    local dirs=()
    for s in "${strategies[@]}"; do
      echo "== $name, seed $seed: $s" >&2
      local sets=(--set "name=$s" --set "sharing.type=$s" --set "output=$base/$s" --set "training.epochs=$epochs" --set "seed=$seed"
        --set "baselines=$base/single-task/baselines.json" "${selection[@]}")
      if [ "$s" = hierarchical ]; then sets+=("$@"); fi
      bin/mtl train "$config" "${sets[@]}" --quiet --overwrite > /dev/null
      dirs+=("$base/$s")
    done
    if [ -z "$first" ]; then
      first=$(bin/mtl compare "${dirs[@]}" | sed "s#| $base/#| #")
    fi
  done
  echo "$first"
  if [ "${#seeds[@]}" -gt 1 ]; then
    echo
    python3 "$root/bench/sharing_seeds.py" "$out/$name" "${strategies[@]}"
  fi
}

start=$(date +%s)
ge_table=""
sc_table=""
if [[ " ${datasets[*]} " == *" goemotions "* ]]; then
  ge_table=$(run_dataset goemotions examples/goemotions.yaml "$ge_epochs" \
    --set "sharing.depth={sentiment: 1, ekman: 2, emotion: 3}" --set "sharing.feed-labels=[sentiment, ekman]")
fi
if [[ " ${datasets[*]} " == *" sentence-classic "* ]]; then
  sc_table=$(run_dataset sentence-classic examples/sentence-classic.yaml "$sc_epochs" \
    --set "sharing.depth={trec: 1, subj: 2, sst2: 3}")
fi
minutes=$(( ($(date +%s) - start) / 60 ))
if [ -z "$ge_table" ] || [ -z "$sc_table" ] || [ "${strategies[*]}" != "$all_strategies" ] || [ -n "${VECTORS:-}" ]; then
  printf '%s\n\n%s\n' "$ge_table" "$sc_table"
  echo "($minutes minutes; a subset or word vectors: docs/sharing.md left as it is)" >&2
  exit 0
fi

{
  echo "# Sharing strategies measured against single-task baselines"
  echo
  echo "Made by \`SEEDS=\"${seeds[*]}\"${PATIENCE:+ PATIENCE=$PATIENCE} bench/sharing.sh $ge_epochs $sc_epochs\` in $minutes minutes on $(nproc) cores"
  echo "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(java -version 2>&1 | head -1)), CPU only."
  echo "Every run uses its example config's model (CNN encoder, embedding 128, Adam, batch 32 per task,"
  echo "seeds ${seeds[*]}) with only \`sharing\` changed; the single-task baselines use the same model with one task"
  echo "and as many steps per epoch as the multi-task run. Δm% is the mean over tasks of the mean"
  echo "sign-adjusted relative change of every test metric against its baseline (Maninis et al. 2019);"
  echo "positive means sharing helped. Training time is the sum of epoch times (evaluation excluded)."
  echo
  echo "## GoEmotions: sentiment (4), Ekman (7), emotion (28), multi-label, one corpus; $ge_epochs epoch(s)"
  echo
  echo "Hierarchical: sentiment at layer 1, Ekman at 2, emotions at 3, lower predictions fed upward."
  echo
  echo "$ge_table"
  echo
  echo "## SST-2 + SUBJ + TREC: three datasets; $sc_epochs epoch(s)"
  echo
  echo "SUBJ ships one file: \`holdout\` keeps 10% of its rows for dev and 10% for test (the same rows in every run)."
  echo "Hierarchical: TREC at layer 1, SUBJ at 2, SST-2 at 3."
  echo
  echo "$sc_table"
  # Observations written by hand below this marker survive a rerun.
  if [ -f "$doc" ] && grep -q '^<!-- notes -->' "$doc"; then
    echo
    sed -n '/^<!-- notes -->/,$p' "$doc"
  fi
} > "$doc.tmp"
mv "$doc.tmp" "$doc"
echo "wrote $doc" >&2
