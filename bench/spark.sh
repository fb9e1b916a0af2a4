#!/usr/bin/env bash
# Spark measurements for docs/spark.md, on an otherwise idle machine:
#   bench/spark.sh predict [MODEL_DIR] [TEXTS]   the same texts predicted directly in one JVM, then through Spark
#                                                local[1] and local[2] (defaults: the GoEmotions example's model and test texts)
#   bench/spark.sh cv                            a 2-setting x 2-fold grid of examples/plain/sentence-classic.yaml:
#                                                sequential as mtl cv, then Spark local[1] and local[2]
# Run it on an otherwise idle machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mode="${1:-predict}"
model="${2:-runs/goemotions/model}"
texts="${3:-../shared/data/goemotions/group/test.tsv}"
mvn -B -q -o install -DskipTests -pl mtl-spark -am > /dev/null
mvn -B -q -o -Dstyle.color=never -pl mtl-spark dependency:build-classpath -Dmdep.includeScope=compile \
  -Dmdep.outputFile="$root/mtl-spark/target/classpath.bench" > /dev/null
classpath="$(cat "$root/mtl-spark/target/classpath.bench")"
run_java() {
  DJL_OFFLINE=true java @"$root/mtl-spark/java17.args" -Dai.djl.offline=true -Dlog4j2.level=warn -cp "mtl-spark/target/classes:$classpath" "$@"
}
case "$mode" in
  predict)
    [ -f "$model/mtl-model.json" ] || { echo "no model in $model: train one first (the README's first command)" >&2; exit 1; }
    run_java dev.mtl.spark.PredictionThroughput "$model" "$texts" 3;;
  cv)
    out="$root/runs/bench-spark-cv"
    rm -rf "$out"
    mkdir -p "$out"
    sed -e 's|^output:.*|output: run|' examples/plain/sentence-classic.yaml > "$root/examples/plain/.bench-spark-cv.yaml"
    run_java dev.mtl.spark.CrossValidationTiming "$root/examples/plain/.bench-spark-cv.yaml" 2 "$out" model.hidden-size=64,128 \
      2>&1 | grep -v ' WARN '
    rm -f "$root/examples/plain/.bench-spark-cv.yaml";;
  *) echo "usage: bench/spark.sh predict|cv" >&2; exit 2;;
esac
