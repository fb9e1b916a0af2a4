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
opens="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED"
run_java() {
  # shellcheck disable=SC2086
  DJL_OFFLINE=true java $opens -Dai.djl.offline=true -Dlog4j2.level=warn -cp "mtl-spark/target/classes:$classpath" "$@"
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
