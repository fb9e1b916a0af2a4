#!/usr/bin/env bash
# Does hard sharing gain over single-task training in a plain PyTorch script where mtl's does not?
# (issue 19: on a held-out benchmark mtl's hard sharing was behind its baselines while a PyTorch script
# of the same model was ahead of its own.) The model of bench/performance.sh: embedding 128, CNN
# 3/4/5 x 128, dropout 0.5, a linear head per task, equal weights, Adam 1e-3, a batch of 32 from every
# dataset each step, a fixed number of epochs and the last state kept (no word vectors, no dev
# selection), trained by mtl and by bench/reference/train_reference.py, multi-task and each task alone
# with the multi-task run's steps per epoch (as mtl's baselines are). Two benchmarks: SST-2 + SUBJ +
# TREC (unrelated tasks) and SST-2 + CR + MPQA (one task over three domains). The reference runs twice,
# with PyTorch's N(0, 1) embedding start and with mtl's uniform one in [-0.25, 0.25]. SUBJ, CR and MPQA
# ship one file each: a fixed shuffle keeps 80% for training and 10% for test (rows without text, 4 in
# CR and 3 in MPQA, are left out), the same files for both sides.
# Prints, per benchmark and side, the test accuracies and Δm% (relative accuracy change, mean over the
# tasks) of hard sharing against the single-task runs, mean ± std over the seeds.
# Setup (once, as root): apt-get install -y python3-torch python3-yaml libopenblas0-pthread
# Usage: [SEEDS="42 43 44"] [JOBS=1] [BENCHMARKS="sentence-classic sentiment-domains"] bench/sharing_reference.sh [epochs]
#   (default 4 epochs; about 25 minutes a seed and benchmark on one core, most of it the reference;
#   JOBS=2 runs two of them side by side, one thread each)
#        bench/sharing_reference.sh report      (the table again from the runs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python=/usr/bin/python3   # Debian's torch lives in the system Python
out="$root/runs/bench-sharing-reference"
data="$(cd "$root/../shared/data/sentence-classic" && pwd)"
export OMP_NUM_THREADS=1

# One seed of one benchmark: the reference (both embedding starts, multi-task then each task), then mtl.
run_seed() {
  local bench="$1" seed="$2" dir="$out/$1"
  local tasks
  tasks="$("$python" -c "import json,sys; print(' '.join(t['name'] for t in json.load(open(sys.argv[1]))['tasks']))" "$dir/spec.json")"
  for start in normal uniform; do
    "$python" - "$dir/spec.json" "$seed" "$start" "$dir/spec-$start-$seed.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec.update(seed=int(sys.argv[2]), latency=False, embedding_limit=0.25 if sys.argv[3] == "uniform" else None)
json.dump(spec, open(sys.argv[4], "w"))
PY
    "$python" bench/reference/train_reference.py "$dir/spec-$start-$seed.json" > "$dir/reference-$start-$seed.json"
    local steps
    steps="$("$python" -c "import json,sys; print(json.load(open(sys.argv[1]))['steps_per_epoch'])" "$dir/reference-$start-$seed.json")"
    for task in $tasks; do
      "$python" - "$dir/spec-$start-$seed.json" "$task" "$steps" "$dir/spec-$start-$seed-$task.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec.update(tasks=[t for t in spec["tasks"] if t["name"] == sys.argv[2]], steps_per_epoch=int(sys.argv[3]))
json.dump(spec, open(sys.argv[4], "w"))
PY
      "$python" bench/reference/train_reference.py "$dir/spec-$start-$seed-$task.json" > "$dir/reference-$start-$seed-$task.json"
    done
  done
  bin/mtl train "$dir/mtl.yaml" --quiet --single-task --set "seed=$seed" --set engine.threads=1 --set "output=$dir/mtl-$seed" > "$dir/mtl-$seed-single-task.log" 2>&1
  bin/mtl train "$dir/mtl.yaml" --quiet --set "seed=$seed" --set engine.threads=1 --set "output=$dir/mtl-$seed" > "$dir/mtl-$seed.log" 2>&1
  echo "$bench seed $seed done"
}

report() {
  "$python" - "$out" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
def dm(hard, single):
    return 100 * statistics.mean((hard[t] - single[t]) / single[t] for t in single)
def row(name, pairs):
    tasks = list(pairs[0][1])
    d = [dm(h, s) for h, s in pairs]
    spread = statistics.stdev(d) if len(d) > 1 else 0
    mean = lambda k, t: statistics.mean(p[k][t] for p in pairs)
    print(f"| {name} | {len(d)} | " + " | ".join(f"{mean(1, t):.4f} / {mean(0, t):.4f}" for t in tasks)
          + f" | {statistics.mean(d):+.2f} ± {spread:.2f} | " + ", ".join(f"{x:+.2f}" for x in d) + " |")
for dir in sorted(glob.glob(f"{out}/*/")):
    bench = os.path.basename(dir.rstrip("/"))
    if not os.path.isfile(f"{dir}/spec.json"):
        continue   # the split files
    spec = json.load(open(f"{dir}/spec.json"))
    tasks, epochs = [t["name"] for t in spec["tasks"]], spec["epochs"]
    seeds = sorted(int(os.path.basename(p)[4:]) for p in glob.glob(f"{dir}/mtl-*") if os.path.isfile(f"{p}/metrics.json"))
    if not seeds:
        continue
    print(f"\n{bench}, {epochs} epochs, seeds {', '.join(map(str, seeds))}: test accuracy alone / with hard sharing, "
          "and Δm% (accuracy) of hard sharing against the single-task runs\n")
    print("| side | seeds | " + " | ".join(tasks) + " | Δm% | per seed |")
    print("|---|---|" + "---|" * len(tasks) + "---|---|")
    pairs = []
    for s in seeds:
        hard = json.load(open(f"{dir}/mtl-{s}/metrics.json"))["test"]
        single = json.load(open(f"{dir}/mtl-{s}/single-task/baselines.json"))["test"]
        pairs.append(({t: hard[t]["values"]["accuracy"] for t in tasks}, {t: single[t]["values"]["accuracy"] for t in tasks}))
    row("mtl", pairs)
    for start, label in (("normal", "PyTorch script, N(0, 1) embedding start"), ("uniform", "PyTorch script, mtl's embedding start")):
        pairs = []
        for s in seeds:
            try:
                hard = json.load(open(f"{dir}/reference-{start}-{s}.json"))["test"]
                single = {t: json.load(open(f"{dir}/reference-{start}-{s}-{t}.json"))["test"][t]["accuracy"] for t in tasks}
            except (OSError, ValueError):
                continue
            pairs.append(({t: hard[t]["accuracy"] for t in tasks}, single))
        if pairs:
            row(label, pairs)
PY
}

case "${1:-}" in
  seed) run_seed "$2" "$3"; exit ;;
  report) report; exit ;;
esac
"$python" -c "import torch, yaml" 2>/dev/null || { echo "needs Debian's PyTorch: apt-get install -y python3-torch python3-yaml libopenblas0-pthread" >&2; exit 1; }
epochs="${1:-4}"
seeds="${SEEDS:-42 43 44}"
benchmarks="${BENCHMARKS:-sentence-classic sentiment-domains}"
bin/mtl --help > /dev/null   # build first, so no run below pays for it
rm -rf "$out" && mkdir -p "$out/split"
# The held-out splits of the datasets that ship one file: 80% train, 10% test, fixed by a seeded shuffle.
"$python" - "$data" "$out/split" <<'PY'
import random, sys
data, split = sys.argv[1], sys.argv[2]
for name in ("subj", "custrev", "mpqa"):
    rows = [r for r in open(f"{data}/{name}.all", "rb").read().split(b"\n") if r.strip()]
    rows = [r for r in rows if r.partition(b" ")[2].strip()]   # a label without text: left out
    random.Random(7).shuffle(rows)
    train, test = int(len(rows) * 0.8), int(len(rows) * 0.9)
    open(f"{split}/{name}.train", "wb").write(b"\n".join(rows[:train]) + b"\n")
    open(f"{split}/{name}.test", "wb").write(b"\n".join(rows[test:]) + b"\n")
PY
task() {   # name train test labels...
  local name="$1" train="$2" test="$3"; shift 3
  local labels; labels="$(IFS=,; echo "$*")"
  echo "  - {name: $name, type: text-classification, format: label-text, label-encoding: index, labels: [${labels//,/, }], train: $train, test: $test}"
}
for bench in $benchmarks; do
  dir="$out/$bench"
  mkdir -p "$dir"
  {
    echo "name: $bench-reference"
    echo "seed: 42"
    echo "tasks:"
    task sst2 "$data/stsa.binary.train" "$data/stsa.binary.test" negative positive
    case "$bench" in
      sentence-classic)
        task subj "$out/split/subj.train" "$out/split/subj.test" subjective objective
        task trec "$data/TREC.train.all" "$data/TREC.test.all" DESC ENTY ABBR HUM LOC NUM ;;
      sentiment-domains)
        task cr "$out/split/custrev.train" "$out/split/custrev.test" negative positive
        task mpqa "$out/split/mpqa.train" "$out/split/mpqa.test" negative positive ;;
      *) echo "unknown benchmark '$bench': sentence-classic or sentiment-domains" >&2; exit 2 ;;
    esac
    cat <<YAML
tokenizer: {type: words, min-frequency: 1, max-length: 64}
model: {embedding-size: 128, encoder: cnn, hidden-size: 128, dropout: 0.5}
sharing: hard
weighting: equal
sampling: all
training: {optimizer: adam, learning-rate: 0.001, epochs: $epochs, batch-size: 32}
YAML
  } > "$dir/mtl.yaml"
  "$python" bench/reference/spec_from_config.py "$dir/mtl.yaml" 1 "$epochs" 0 > "$dir/spec.json"
done
for bench in $benchmarks; do for seed in $seeds; do echo "$bench $seed"; done; done \
  | xargs -P "${JOBS:-1}" -L 1 bash -c '"$0" seed "$1" "$2"' "$root/bench/sharing_reference.sh"
report
