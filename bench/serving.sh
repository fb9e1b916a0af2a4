#!/usr/bin/env bash
# mtl serve under load: wrk (apt-get install wrk) against the server on loopback, one text per
# request from GoEmotions' test split, at 1, 8 and 64 concurrent connections, with dynamic
# batching and without (--batch-size 1), for each model given. Prints a Markdown table: requests/s,
# p50 and p99 latency, errors, texts per predicted batch, and the server's peak RSS.
# Usage: bench/serving.sh [seconds-per-run] MODEL_DIR...
#   default: 10 s, runs/goemotions/model and runs/goemotions-pretrained/model
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-10}"
shift $(( $# > 0 ? 1 : 0 ))
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(runs/goemotions/model runs/goemotions-pretrained/model)
command -v wrk > /dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
bin/mtl --help > /dev/null   # build first
texts="$(mktemp)"
head -2000 ../shared/data/goemotions/original/test.tsv | cut -f1 > "$texts"
port=18181
echo "| model | batching | connections | requests/s | p50 ms | p99 ms | errors | texts per batch | server peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|"
for model in "${models[@]}"; do
  for batch in 64 1; do
    log="$(mktemp)"
    bin/mtl serve "$model" --port "$port" --batch-size "$batch" 2> "$log" &
    server=$!
    until curl -sf "http://127.0.0.1:$port/health" > /dev/null; do sleep 0.2; done
    # JVM warm-up: the first requests compile the prediction path.
    TEXTS_FILE="$texts" wrk -t 2 -c 8 -d 3s -s bench/serving/texts.lua "http://127.0.0.1:$port" > /dev/null
    pid="$(pgrep -P "$server" java || echo "$server")"
    for connections in 1 8 64; do
      before="$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^mtl_batch_texts_sum /{s=$2} /^mtl_batch_texts_count /{c=$2} END{print s+0, c+0}')"
      result="$(TEXTS_FILE="$texts" wrk -t "$(( connections < 2 ? 1 : 2 ))" -c "$connections" -d "${seconds}s" --timeout 10s \
        -s bench/serving/texts.lua "http://127.0.0.1:$port" | grep '^RESULT')"
      after="$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^mtl_batch_texts_sum /{s=$2} /^mtl_batch_texts_count /{c=$2} END{print s+0, c+0}')"
      rss="$(awk '/VmHWM/{printf "%d", $2/1024}' "/proc/$pid/status")"
      echo "$result $before $after" | awk -v m="$(basename "$(dirname "$model")")" -v b="$batch" -v c="$connections" -v rss="$rss" '{
        for (i = 2; i <= 7; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        per = ($11 - $9 > 0) ? ($10 - $8) / ($11 - $9) : 0
        printf "| %s | %s | %d | %.0f | %.2f | %.2f | %d | %s | %s |\n", m, (b > 1 ? "up to " b : "off"), c,
          v["requests"] / v["seconds"], v["p50_ms"], v["p99_ms"], v["errors"] + v["non2xx"], (b > 1 ? sprintf("%.1f", per) : "1"), rss }'
    done
    kill -TERM "$server"
    wait "$server" 2> /dev/null || true
    rm -f "$log"
  done
done
rm -f "$texts"
