#!/usr/bin/env bash
# Control vectors across vecspace and llama.cpp, on the same model file, greedy:
#
#  1. vecspace builds a vector (Love − Hate, data/steering/love-hate.jsonl, unit length per
#     layer); llama-completion loads it with --control-vector-scaled and its text must change.
#  2. llama-cvector-generator builds a vector from the same pairs (its mean method); vecspace
#     steers with that file and its text must change.
#
# "The same way" is measured, not assumed: the text llama.cpp writes under a vector must be more
# likely (lower perplexity) under vecspace steered by that vector — same layers, sign and scale —
# than under vecspace unsteered. Whether the two greedy texts are identical is reported: they
# usually share most words, but where two tokens are within about 0.2 logits of each other the
# choice follows rounding (llama.cpp itself chooses differently between reading a prompt in one
# batch and token by token; docs/STEERING.md), so identity is not required.
#
#   tests/interop/llama_cpp_steering.sh [MODEL [LAYERS [COEFFICIENT]]]
#
# MODEL is a registered model or a GGUF file (default gemma3-270m); LAYERS is A..B in llama.cpp's
# numbering (default 6..12) and COEFFICIENT the push on unit vectors (default 50: Gemma's residual
# stream is thousands long; SmolLM2 wants about 4). Needs llama.cpp's tools: LLAMA_CPP_BIN=DIR, or
# target/llama.cpp/build/bin as bench/lm_speed.sh builds it. Exits 0 when everything holds, 1
# when something does not, 77 when llama.cpp is absent (skipped).
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-gemma3-270m}
layers=${2:-6..12}
coefficient=${3:-50}
bin=${LLAMA_CPP_BIN:-target/llama.cpp/build/bin}
for tool in llama-completion llama-cvector-generator; do
  if [ ! -x "$bin/$tool" ]; then
    echo "skipped: no $bin/$tool (build it with bench/lm_speed.sh, or set LLAMA_CPP_BIN)"
    exit 77
  fi
done
cargo build --release --quiet -p vecspace-cli
vs=target/release/vecspace
case "$model" in
  *.gguf | */*) file=$model ;;
  *) file=$("$vs" fetch "$model" | sed 's/.* in //') ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prompt="I think that my day was"
tokens=24
first=${layers%..*}
last=${layers#*..}
failures=0

# Greedy text from each side; trailing whitespace aside (llama-completion ends with a newline).
theirs() {
  "$bin/llama-completion" -m "$file" -p "$prompt" -n "$tokens" --temp 0 -no-cnv --no-display-prompt \
    --simple-io -t "$(nproc)" "$@" 2>/dev/null | sed -e 's/[[:space:]]*$//' -e 's/ \[end of text\]$//'
}
ours() {
  "$vs" lm generate --model "$file" --prompt "$prompt" --max-tokens "$tokens" "$@" 2>/dev/null |
    sed -e 's/[[:space:]]*$//'
}
# Reports how much of two texts is identical, word by word.
compare() {
  python3 -c '
import sys
label, a, b = sys.argv[1:]
wa, wb = a.split(), b.split()
shared = next((i for i, (x, y) in enumerate(zip(wa, wb)) if x != y), min(len(wa), len(wb)))
if a == b:
    print(f"  identical: {label}")
else:
    print(f"  {label}: the first {shared} of {max(len(wa), len(wb))} words agree")
    print(f"    llama.cpp: {a}")
    print(f"    vecspace:  {b}")
' "$@"
}
changed() {
  if [ "$2" != "$3" ]; then
    echo "  changed: $1"
  else
    echo "  UNCHANGED: $1"
    failures=$((failures + 1))
  fi
}
# Passes when TEXT (prompt + continuation) is more likely under vecspace steered by VECTOR.
favoured() {
  local label=$1 text=$2 vector=$3 report
  report=$("$vs" lm perplexity --model "$file" --text "$text" --steer "$vector:$coefficient" --layers "$layers")
  local plain steered
  plain=$(awk '/^unsteered/ {print $3}' <<<"$report")
  steered=$(awk '/^steered/ {print $3}' <<<"$report")
  if python3 -c "import sys; sys.exit(0 if float('$steered') < float('$plain') else 1)"; then
    echo "  favoured: $label — perplexity $plain unsteered, $steered steered in vecspace"
  else
    echo "  NOT FAVOURED: $label — perplexity $plain unsteered, $steered steered in vecspace"
    failures=$((failures + 1))
  fi
}

echo "== $model ($file), \"$prompt\", $tokens tokens, layers $layers × $coefficient"
plain_theirs=$(theirs)
plain_ours=$(ours)
compare "unsteered" "$plain_theirs" "$plain_ours"

echo "-- 1. a vecspace vector in llama.cpp"
"$vs" lm vector build --model "$file" --pairs data/steering/love-hate.jsonl --normalize --out "$work/vecspace.gguf" >/dev/null
steered_theirs=$(theirs --control-vector-scaled "$work/vecspace.gguf:$coefficient" --control-vector-layer-range "$first" "$last")
steered_ours=$(ours --steer "$work/vecspace.gguf:$coefficient" --layers "$layers")
changed "llama.cpp's text under vecspace's vector" "$plain_theirs" "$steered_theirs"
compare "steered" "$steered_theirs" "$steered_ours"
favoured "llama.cpp's steered text" "$prompt$steered_theirs" "$work/vecspace.gguf"

echo "-- 2. a llama-cvector-generator vector in vecspace"
python3 -c '
import json, sys
pairs = [json.loads(line) for line in open("data/steering/love-hate.jsonl") if line.strip()]
for side in ("positive", "negative"):
    with open(f"{sys.argv[1]}/{side}.txt", "w") as out:
        out.writelines(p[side] + "\n" for p in pairs)
' "$work"
"$bin/llama-cvector-generator" -m "$file" --positive-file "$work/positive.txt" --negative-file "$work/negative.txt" \
  --method mean -o "$work/llama.gguf" -t "$(nproc)" >/dev/null 2>&1
steered_theirs=$(theirs --control-vector-scaled "$work/llama.gguf:$coefficient" --control-vector-layer-range "$first" "$last")
steered_ours=$(ours --steer "$work/llama.gguf:$coefficient" --layers "$layers")
changed "vecspace's text under llama.cpp's vector" "$plain_ours" "$steered_ours"
compare "steered" "$steered_theirs" "$steered_ours"
favoured "llama.cpp's steered text" "$prompt$steered_theirs" "$work/llama.gguf"

if [ "$failures" -gt 0 ]; then
  echo "FAILED: $failures check(s)"
  exit 1
fi
echo "ok"
