#!/usr/bin/env bash
# Every run config shipped in examples/, trained to the end as shipped, the way a new user runs it
# (`bin/mtl train CONFIG`, from the repository root, into the output folder the config names; only
# --overwrite added, so a second pass replaces the first). One after the other; each run's output
# goes to runs/bench-examples/<config>.log. Prints a Markdown table: exit status, wall time, peak RSS
# and each task's primary test metric.
# Needs `bin/word-vectors` once (the recipe examples read GloVe) and `mvn install` once (the
# text-regression plugin builds against the installed mtl artifacts).
# Usage: bench/examples.sh [config...]   (default: every examples/**/*.yaml)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
configs=("$@")
[ ${#configs[@]} -gt 0 ] || mapfile -t configs < <(find examples -name '*.yaml' -not -path '*/target/*' | sort)
plugin=examples/plugin-text-regression
bin/mtl --help > /dev/null || exit 1   # build first, so no run below pays for it
logs="$root/runs/bench-examples"
mkdir -p "$logs"
if [ ! -f "$plugin/target/mtl-text-regression-1.0.0.jar" ]; then
  (cd "$plugin" && mvn -B -ntp -Dstyle.color=never package -DskipTests) > "$logs/plugin-build.log" 2>&1 \
    || echo "could not build $plugin (see $logs/plugin-build.log): run \`mvn install\` in the repository root first" >&2
fi
echo "| config | exit | wall | peak RSS MB | test: primary metric per task |"
echo "|---|---|---|---|---|"
failed=0
for config in "${configs[@]}"; do
  log="$logs/$(echo "${config%.yaml}" | tr / -).log"
  start=$SECONDS
  MTL_PLUGIN_PATH="$plugin/target" /usr/bin/time -f 'peak-rss-kb %M' bin/mtl train "$config" --overwrite > "$log" 2>&1
  status=$?
  wall=$(( SECONDS - start ))
  rss=$(awk '/^peak-rss-kb/ {printf "%d", $2 / 1024}' "$log")
  # "model saved to DIR/model" (a model with a state per task adds ", a state per task:")
  output=$(grep -o 'model saved to [^,]*' "$log" | tail -1 | sed 's|model saved to ||; s|/model$||')
  metrics="-"
  if [ "$status" -eq 0 ] && [ -f "$output/metrics.json" ]; then
    metrics=$(python3 - "$output/metrics.json" <<'EOF'
import json, sys
test = json.load(open(sys.argv[1])).get("test", {})
print(", ".join(f"{task} {r['primary']} {r['values'][r['primary']]:.4f}" for task, r in test.items()) or "no test split")
EOF
)
  else
    failed=$(( failed + 1 ))
  fi
  printf '| %s | %s | %dm %02ds | %s | %s |\n' "$config" "$status" $(( wall / 60 )) $(( wall % 60 )) "${rss:--}" "$metrics"
done
[ "$failed" -eq 0 ] || { echo "$failed of ${#configs[@]} configs failed: see $logs" >&2; exit 1; }
