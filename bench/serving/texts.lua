-- wrk script: POST /predict with one text per request, cycling through the texts in TEXTS_FILE
-- (one per line), so requests differ in length as real ones do.
local texts = {}
for line in io.lines(os.getenv("TEXTS_FILE")) do
  -- JSON-escape backslashes and quotes; the test texts hold no control characters.
  texts[#texts + 1] = '{"text": "' .. line:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"}'
end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i % #texts + 1
  return wrk.format(nil, "/predict", nil, texts[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d non2xx=%d seconds=%.2f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
