#!/usr/bin/env bash
# Determinism and memory-safety check on a busy machine (docs/reliability.md): every command runs
# under ../shared/tools/under-load (busy processes on every core) with MALLOC_PERTURB_=165 (glibc
# fills freed and fresh memory with garbage), so reading freed or unwritten memory, or a race,
# shows up as a failure, a NaN or a different log.
#   bench/determinism.sh runs [N]    N runs of bench/determinism/subj.yaml: training logs must be byte-identical (default 20)
#   bench/determinism.sh tests [N]   the engine test classes N times in a row (default 20)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
load="$root/../shared/tools/under-load"
[ -x "$load" ] || { echo "needs ../shared/tools/under-load beside the repository" >&2; exit 1; }
mode="${1:-runs}"
count="${2:-20}"
export MALLOC_PERTURB_=165
case "$mode" in
  runs)
    bin/mtl --help > /dev/null   # build first, outside the timed runs
    out="$root/runs/determinism"
    rm -rf "$out"
    for i in $(seq "$count"); do
      start=$(date +%s)
      "$load" -- bin/mtl train bench/determinism/subj.yaml --quiet --set "output=$out/run-$i" > "$out-run-$i.log" 2>&1 \
        || { echo "run $i failed:"; tail -5 "$out-run-$i.log"; exit 1; }
      echo "run $i: $(( $(date +%s) - start )) s, log $(md5sum < "$out/run-$i/training-log.jsonl" | cut -c1-12)"
    done
    distinct=$(for i in $(seq "$count"); do md5sum < "$out/run-$i/training-log.jsonl"; done | sort -u | wc -l)
    echo "$count runs under load with MALLOC_PERTURB_=165: $distinct distinct training log(s)"
    [ "$distinct" -eq 1 ]
    ;;
  tests)
    mvn -B -q -o install -DskipTests > /dev/null
    modules="mtl-engine-pytorch,mtl-engine-tensorflow,mtl-engine-pretrained,mtl-engine-djl"
    for i in $(seq "$count"); do
      start=$(date +%s)
      if "$load" -- mvn -B -q -o -pl "$modules" surefire:test > /tmp/mtl-determinism-tests.log 2>&1; then
        echo "pass $i: $(( $(date +%s) - start )) s"
      else
        echo "pass $i FAILED:"; grep -E 'Tests run|FAIL|ERROR' /tmp/mtl-determinism-tests.log | head -20; exit 1
      fi
    done
    echo "the engine test classes passed $count times in a row under load with MALLOC_PERTURB_=165"
    ;;
  *) echo "usage: bench/determinism.sh runs|tests [N]" >&2; exit 2;;
esac
