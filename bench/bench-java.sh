#!/usr/bin/env bash
# Runs one of mtl-bench's programs (dev.mtl.bench.CLASS) with the CLI's class path, offline like
# bin/mtl. Usage: bench/bench-java.sh CLASS [args...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="0.1.0-SNAPSHOT"
"$root/bin/mtl" --help > /dev/null   # builds on first use, like every bin/mtl command
class="$1"
shift
export DJL_OFFLINE=true OPT_OUT_TRACKING=true TORCH_CPP_LOG_LEVEL="${TORCH_CPP_LOG_LEVEL:-ERROR}" TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-1}"
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-10000}"   # as bin/mtl, which says why
exec java -Xms32m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=40 -XX:+UseSerialGC -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error \
  -cp "$root/mtl-bench/target/mtl-bench-$version.jar:$root/mtl-cli/target/mtl-cli-$version.jar:$root/mtl-cli/target/lib/*" \
  "dev.mtl.bench.$class" "$@"
