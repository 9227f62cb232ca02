#!/usr/bin/env bash
# Load test of `vecspace serve` on loopback with wrk (Debian's package): 200 concurrent clients on
# /api/query for 30 s, twice — single-word queries drawn from 1000 common words (the page's typical
# use; answers are cached after the first), then two-word expressions that are all different
# (every request computes an exact scan of 400 000 words).
#
#   bench/load_test.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-30s}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
cargo build --release --quiet
work=target/load-test
mkdir -p "$work"
target/release/vecspace serve --addr 127.0.0.1:0 > "$work/server.out" 2> "$work/server.err" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.2; done
url=$(sed -n 's/listening on //p' "$work/server.out")
# The 1000 most frequent words of the space (GloVe orders its vocabulary by frequency), skipping
# the ones JSON would need escaped.
target/release/vecspace convert "$(target/release/vecspace fetch glove-6b-50d | sed -n 's/.* in //p')" "$work/glove.txt" --to word2vec-text 2>/dev/null
sed -n '2,1200p' "$work/glove.txt" | cut -d' ' -f1 | grep -v '["\\]' | head -1000 > "$work/words.txt"
rm "$work/glove.txt"
cat > "$work/single.lua" <<'LUA'
local words = {}
for line in io.lines("target/load-test/words.txt") do words[#words + 1] = line end
request = function()
  local word = words[math.random(#words)]
  return wrk.format("POST", "/api/query", { ["content-type"] = "application/json" },
    '{"expression": "\\"' .. word .. '\\"", "k": 10}')
end
LUA
cat > "$work/pairs.lua" <<'LUA'
local words = {}
for line in io.lines("target/load-test/words.txt") do words[#words + 1] = line end
local n = 0
request = function()
  n = n + 1
  local a, b = words[(n % #words) + 1], words[((n * 7919) % #words) + 1]
  return wrk.format("POST", "/api/query", { ["content-type"] = "application/json" },
    '{"expression": "\\"' .. a .. '\\" + \\"' .. b .. '\\" * ' .. n .. '", "k": 10}')
end
LUA
echo "== single-word queries (1000 words, cached after the first), 200 connections, $duration, from a cold start"
wrk -t2 -c200 -d"$duration" --latency -s "$work/single.lua" "$url"
echo "== the same again, every answer now cached"
wrk -t2 -c200 -d"$duration" --latency -s "$work/single.lua" "$url"
echo "== all-different two-word expressions (every request scans 400 000 words), 200 connections, $duration"
wrk -t2 -c200 -d"$duration" --latency -s "$work/pairs.lua" "$url"
