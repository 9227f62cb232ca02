#!/usr/bin/env bash
# Measures steering vectors on smollm2-135m: builds Love − Hate from one pair (ActAdd) and from
# eight sentence pairs (CAA), and a weddings topic vector; continues the 24 neutral prompts in
# data/steering greedily at several coefficients and layers; scores the continuations with the
# VADER lexicon (sentiment) or a word list (topic); reports the perplexity of a neutral paragraph
# under the same steering. Prints the Markdown tables of docs/STEERING.md.
#
#   bench/steering_study.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-target/steering-study}
mkdir -p "$work"
cargo build --release --quiet
vs=target/release/vecspace
data=data/steering
common=(--prompts "$data/neutral-prompts.txt" --neutral "$data/neutral-text.txt" --max-tokens 24)
$vs lm vector build --positive "Love" --negative "Hate" --out "$work/love-hate-actadd.gguf" >/dev/null 2>&1
$vs lm vector build --pairs "$data/love-hate.jsonl" --out "$work/love-hate-caa.gguf" >/dev/null 2>&1
$vs lm vector build --pairs "$data/weddings.jsonl" --out "$work/weddings.gguf" >/dev/null 2>&1
echo "### Love − Hate, one pair (ActAdd)"
$vs lm evaluate --vector "$work/love-hate-actadd.gguf" "${common[@]}" --coefficients=-1,-0.5,0,0.5,1 --layers 3 6 9 2>/dev/null
echo
echo "### Love − Hate, eight sentence pairs (CAA)"
$vs lm evaluate --vector "$work/love-hate-caa.gguf" "${common[@]}" --coefficients=-2,-1,0,1,2 --layers 6 9 6..8 2>/dev/null
echo
echo "### Weddings, eight sentence pairs (CAA)"
$vs lm evaluate --vector "$work/weddings.gguf" "${common[@]}" --lexicon "$data/wedding-words.txt" \
    --coefficients=0,1,2,4 --layers 6 9 2>/dev/null
