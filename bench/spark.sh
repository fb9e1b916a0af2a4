#!/usr/bin/env bash
# Batch prediction throughput on Spark (docs/spark.md): the same texts predicted directly in one JVM,
# then through Spark local[1] and local[2], side by side in one JVM, each after a warm-up pass.
#   bench/spark.sh [MODEL_DIR] [TEXTS]     (defaults: the GoEmotions example's model, GoEmotions' test texts)
# Run it on an otherwise idle machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
model="${1:-runs/goemotions/model}"
texts="${2:-../shared/data/goemotions/group/test.tsv}"
[ -f "$model/mtl-model.json" ] || { echo "no model in $model: train one first (the README's first command)" >&2; exit 1; }
mvn -B -q -o install -DskipTests -pl mtl-spark -am > /dev/null
classpath="$(mvn -B -q -o -pl mtl-spark dependency:build-classpath -Dmdep.includeScope=provided -Dmdep.outputFile=/dev/stdout)"
opens="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED"
# shellcheck disable=SC2086
DJL_OFFLINE=true java $opens -Dai.djl.offline=true -Dlog4j2.level=warn \
  -cp "mtl-spark/target/classes:$classpath" dev.mtl.spark.PredictionThroughput "$model" "$texts" 3
