#!/usr/bin/env bash
# Step time of each loss weighting relative to equal weights, side by side in one JVM (see
# mtl-bench/.../WeightingStepTime.java). Usage: bench/weighting-step-time.sh CONFIG METHODS [steps] [rounds]
exec "$(dirname "${BASH_SOURCE[0]}")/bench-java.sh" WeightingStepTime "$@"
