#!/usr/bin/env bash
# Reproduces docs/sharing.md: sharing strategies, and the recommended recipe, against single-task
# baselines of the same model, budget and selection, on GoEmotions (three label sets over one
# corpus) and SST-2 + SUBJ + TREC (three datasets), on this machine; with RECIPE=1, also
# DATASETS=sentiment-domains (SST-2 + CR + MPQA: one task over three domains; no plain config, so
# no strategy sweep; it takes the sentence-classic epochs).
#
#   [SEEDS="42 43 44"] [PATIENCE=2] [VECTORS=file] [RECIPE=1 [DISTILL=1]] [STRATEGIES="hard asp"] [DATASETS=goemotions] \
#     bench/sharing.sh run [goemotions-epochs] [sentence-classic-epochs]      (epochs default: 1 and 2)
#   bench/sharing.sh report     # rewrites docs/sharing.md from every sweep under runs/ (keeps its notes, and the
#                               # sections of sweeps made elsewhere)
#
# A sweep trains, per dataset and seed, the single-task baselines (same model and steps per epoch),
# then one run per strategy of examples/plain/<dataset>.yaml with only `sharing` changed; every run repeats per seed and the report
# gives Δm% and each task's primary test metric as mean ± std over seeds (bench/sharing_seeds.py).
# PATIENCE=N keeps each run's best dev evaluation (select-by: mean; a baseline selects on its task)
# and stops after N evaluations without a better one, so a long budget converges.
# VECTORS=file starts every embedding (baselines too) from those 100-d word vectors, fine-tuned and
# scaled to the random start's size (bin/word-vectors fetches GloVe 6B 100-d).
# RECIPE=1 runs each example config as shipped (the recommended recipe: its sharing, word vectors,
# per-task selection and fine-tuning), baselines likewise; only epochs and seed are set. With
# DISTILL=1 it also runs `recipe-distill`: the recipe learning from the seed's single-task baselines as
# teachers (training.distill, BAM! teacher annealing), compared with those same baselines;
# bench/born_again.py then distils each task alone from its baseline, the control for it.
# VARIANTS='name|key=value|key=value;name2|key=value' (with RECIPE=1) adds runs of the example with those
# --set changes, e.g. VARIANTS='recipe-per-task|sampling=round-robin|training.task-batches=per-task'.
# SAMPLING=name (with RECIPE=1) sets `sampling` on every run and on its baselines, whose epoch length
# follows the multi-task run's sampler; the sweep goes to runs/bench-recipe-sampling-<name>.
# WITH='name|key=value|key=value' (with RECIPE=1) sets those --set changes on every run and on its
# baselines, e.g. WITH='ema|training.ema-decay=0.999'; the sweep goes to runs/bench-recipe-<name>.
# Sweeps go to runs/bench-sharing, runs/bench-sharing-vectors and runs/bench-recipe; a run whose
# metrics.json exists is kept, so an interrupted sweep goes on where it stopped (delete to redo).
# THREADS=1 runs each training on one thread: two sweeps side by side on a 2-core machine then do not
# fight over the cores (results differ from 2 threads only in float rounding).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mode="${1:-run}"
doc="$root/docs/sharing.md"
all_strategies="hard soft shared-private hierarchical cross-stitch mmoe dselect-k cgc ple mtan learning-to-branch asp"
# The fixed sweeps, then one per sampler that SAMPLING sweeps ran here or that the doc keeps.
sweeps=(bench-sharing bench-sharing-vectors bench-recipe)
while read -r extra; do
  [[ -z "$extra" || " ${sweeps[*]} " == *" $extra "* ]] || sweeps+=("$extra")
done < <( (cd "$root/runs" 2>/dev/null && ls -d bench-recipe-sampling-* 2>/dev/null)
  [ -f "$doc" ] && sed -n 's|^<!-- sweep: \(bench-recipe-sampling-[^/]*\)/.*|\1|p' "$doc")

# The section of sweep $1 (e.g. bench-recipe/goemotions) in the current docs/sharing.md, without
# trailing blank lines: kept when its runs are not under runs/ here (made on another machine).
kept_section() {
  [ -f "$doc" ] || return 0
  awk -v marker="<!-- sweep: $1 -->" '
    $0 == marker { inside = 1 }
    inside && $0 != marker && (/^<!-- sweep: / || /^<!-- notes -->/) { inside = 0 }
    inside { lines[++n] = $0 }
    END { while (n > 0 && lines[n] == "") n--; for (i = 1; i <= n; i++) print lines[i] }' "$doc"
}

report() {
  local machine
  machine="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(java -version 2>&1 | head -1)), CPU only"
  {
    echo "# Sharing strategies and the recommended recipe, against single-task baselines"
    echo
    echo "Made by \`bench/sharing.sh report\` from the sweeps below (each names the command that ran it and"
    echo "the machine; a sweep whose runs are not under runs/ where the report runs keeps its section)."
    echo "Every run uses its example config's model (CNN encoder, Adam, batch 32 per task) with only what the"
    echo "sweep names changed; the single-task baselines use the same model, budget and selection with one"
    echo "task. Δm% is the mean over tasks of the mean sign-adjusted relative change of every test metric"
    echo "against the same seed's baseline (Maninis et al. 2019); positive means sharing helped. Mean ± std"
    echo "over seeds. \"Δm% vs mean baseline\" compares each run with the baselines' metrics averaged over the seeds"
    echo "instead (as LibMTL and most multi-task papers report it): its std is the runs' own spread, without the"
    echo "baselines' seed noise, which dominates the first column's std when one task's test set is small (TREC: 500"
    echo "texts). SUBJ ships one file: \`holdout\` keeps 10% of its rows for dev and 10% for test (the same"
    echo "rows in every run); TREC's dev split is a 10% holdout of its training file."
    for sweep in "${sweeps[@]}"; do
      for dataset in goemotions sentence-classic sentiment-domains; do
        local dir="$root/runs/$sweep/$dataset"
        if [ ! -f "$dir/command.txt" ]; then
          local kept
          kept=$(kept_section "$sweep/$dataset")
          [ -z "$kept" ] || printf '\n%s\n' "$kept"
          continue
        fi
        local strategies
        strategies=$(cat "$dir/strategies.txt")
        echo
        echo "<!-- sweep: $sweep/$dataset -->"
        echo "## $dataset: $(cat "$dir/title.txt")"
        echo
        echo "Machine: $machine."
        echo
        sed 's/^\(.*\): \([0-9]*\) minutes$/`\1` (\2 minutes)  /' "$dir/command.txt"
        echo
        # shellcheck disable=SC2086
        python3 "$root/bench/sharing_seeds.py" "$dir" $strategies
      done
    done
    # Observations written by hand below this marker survive a rerun.
    if [ -f "$doc" ] && grep -q '^<!-- notes -->' "$doc"; then
      echo
      sed -n '/^<!-- notes -->/,$p' "$doc"
    fi
  } > "$doc.tmp"
  mv "$doc.tmp" "$doc"
  echo "wrote $doc" >&2
}

if [ "$mode" = report ]; then
  report
  exit 0
fi
[ "$mode" = run ] || { echo "usage: bench/sharing.sh run [goemotions-epochs] [sentence-classic-epochs] | report" >&2; exit 2; }
ge_epochs="${2:-1}"
sc_epochs="${3:-2}"
[ -z "${SAMPLING:-}" ] || [ -n "${RECIPE:-}" ] || { echo "SAMPLING goes with RECIPE=1 (the strategy sweeps keep the plain configs' sampling)" >&2; exit 2; }
read -r -a strategies <<< "${STRATEGIES:-$all_strategies}"
read -r -a datasets <<< "${DATASETS:-goemotions sentence-classic}"
read -r -a seeds <<< "${SEEDS:-42}"
declare -A variant_sets=()
sweep=bench-sharing
title="every strategy"
settings=()
if [ -n "${PATIENCE:-}" ]; then
  settings+=(--set "training.select-by=mean" --set "training.patience=$PATIENCE")
  title="$title, best dev evaluation kept, patience $PATIENCE"
fi
if [ -n "${VECTORS:-}" ]; then
  sweep=bench-sharing-vectors
  # Absolute: a --set path is read relative to the config file, and VECTORS is given from the checkout's root.
  settings+=(--set "model.embedding-size=100" --set "model.word-vectors.file=$(realpath "$VECTORS")"
    --set "model.word-vectors.train=fine-tune" --set "model.word-vectors.scale=match")
  title="$title, GloVe 6B 100-d word vectors (scale: match, fine-tuned)"
fi
threads=()
if [ -n "${THREADS:-}" ]; then
  threads=(--set "engine.threads=$THREADS")
fi
if [ -n "${RECIPE:-}" ]; then
  sweep=bench-recipe
  strategies=(recipe)
  if [ -n "${DISTILL:-}" ]; then strategies+=(recipe-distill); fi
  IFS=';' read -r -a variant_specs <<< "${VARIANTS:-}"
  for spec in "${variant_specs[@]}"; do
    variant_sets[${spec%%|*}]="${spec#*|}"
    strategies+=("${spec%%|*}")
  done
  settings=()
  title="the recommended recipe, each example config as shipped"
  if [ -n "${SAMPLING:-}" ]; then
    sweep="bench-recipe-sampling-$SAMPLING"
    settings=(--set "sampling=$SAMPLING")
    title="$title but with \`sampling: $SAMPLING\` (baselines too)"
  fi
  if [ -n "${WITH:-}" ]; then
    [ -z "${SAMPLING:-}" ] || { echo "WITH and SAMPLING each name a sweep; give one" >&2; exit 2; }
    IFS='|' read -r -a with_changes <<< "${WITH#*|}"
    sweep="bench-recipe-${WITH%%|*}"
    for change in "${with_changes[@]}"; do settings+=(--set "$change"); done
    title="$title but with \`${with_changes[*]}\` (baselines too)"
  fi
fi
out="$root/runs/$sweep"
command="SEEDS=\"${seeds[*]}\"${THREADS:+ THREADS=$THREADS}${PATIENCE:+ PATIENCE=$PATIENCE}${VECTORS:+ VECTORS=$VECTORS}${RECIPE:+ RECIPE=1}${SAMPLING:+ SAMPLING=$SAMPLING}${DISTILL:+ DISTILL=1}${VARIANTS:+ VARIANTS='$VARIANTS'}${WITH:+ WITH='$WITH'} DATASETS=@DATASET@ bench/sharing.sh run $ge_epochs $sc_epochs"

# dataset name, config, epochs, then extra --set arguments for the hierarchical run
run_dataset() {
  local name=$1 config=$2 epochs=$3
  shift 3
  local start
  start=$(date +%s)
  mkdir -p "$out/$name"
  for seed in "${seeds[@]}"; do
    local base="$out/$name/seed-$seed"
    if [ ! -f "$base/single-task/baselines.json" ]; then
      echo "== $name, seed $seed: single-task baselines" >&2
      bin/mtl train "$config" --single-task --quiet --overwrite --set "output=$base" --set "training.epochs=$epochs" --set "seed=$seed" \
        "${settings[@]}" "${threads[@]}" > /dev/null
    fi
    for s in "${strategies[@]}"; do
      [ -f "$base/$s/metrics.json" ] && continue
      echo "== $name, seed $seed: $s" >&2
      local sets=(--set "name=$s" --set "output=$base/$s" --set "training.epochs=$epochs" --set "seed=$seed"
        --set "baselines=$base/single-task/baselines.json" "${settings[@]}" "${threads[@]}")
      if [ "$s" = recipe-distill ]; then
        # The baselines teach: {task: <its single-task model>, ...}, the task names read from baselines.json.
        sets+=(--set "training.distill={teachers: {$(python3 -c 'import json, sys; print(", ".join(f"{t}: {sys.argv[1]}/{t}/model" for t in json.load(open(sys.argv[1] + "/baselines.json"))["test"]))' "$base/single-task")}}")
      elif [ -n "${variant_sets[$s]:-}" ]; then
        IFS='|' read -r -a changes <<< "${variant_sets[$s]}"
        for change in "${changes[@]}"; do sets+=(--set "$change"); done
      elif [ "$s" != recipe ]; then
        sets+=(--set "sharing.type=$s")
      fi
      if [ "$s" = hierarchical ]; then sets+=("$@"); fi
      bin/mtl train "$config" "${sets[@]}" --quiet --overwrite > /dev/null
    done
  done
  # A sweep may be run in parts (STRATEGIES=...): the commands add up, the strategies join in order.
  echo "${command/@DATASET@/$name}${STRATEGIES:+ (STRATEGIES=\"$STRATEGIES\")}: $(( ($(date +%s) - start) / 60 )) minutes" >> "$out/$name/command.txt"
  echo "$title; up to $epochs epochs" > "$out/$name/title.txt"
  local known=""
  [ -f "$out/$name/strategies.txt" ] && known=$(cat "$out/$name/strategies.txt")
  local joined=()
  # shellcheck disable=SC2086
  for s in $all_strategies recipe recipe-distill $known "${strategies[@]}"; do
    if [[ " $known ${strategies[*]} " == *" $s "* && " ${joined[*]} " != *" $s "* ]]; then joined+=("$s"); fi
  done
  echo "${joined[*]}" > "$out/$name/strategies.txt"
  python3 "$root/bench/sharing_seeds.py" "$out/$name" "${joined[@]}"
}

# Strategy sweeps start from the plain setups (random embedding, hard sharing, every dataset each
# step); the recipe sweep from the examples as shipped.
configs=examples/plain
if [ -n "${RECIPE:-}" ]; then configs=examples; fi
if [[ " ${datasets[*]} " == *" goemotions "* ]]; then
  run_dataset goemotions "$configs/goemotions.yaml" "$ge_epochs" \
    --set "sharing.depth={sentiment: 1, ekman: 2, emotion: 3}" --set "sharing.feed-labels=[sentiment, ekman]"
fi
if [[ " ${datasets[*]} " == *" sentence-classic "* ]]; then
  run_dataset sentence-classic "$configs/sentence-classic.yaml" "$sc_epochs" --set "sharing.depth={trec: 1, subj: 2, sst2: 3}"
fi
if [[ " ${datasets[*]} " == *" sentiment-domains "* ]]; then
  [ -n "${RECIPE:-}" ] || { echo "sentiment-domains has only the recipe's config: run it with RECIPE=1" >&2; exit 2; }
  run_dataset sentiment-domains examples/sentiment-domains.yaml "$sc_epochs"
fi
echo "bench/sharing.sh report rewrites docs/sharing.md from every sweep" >&2
