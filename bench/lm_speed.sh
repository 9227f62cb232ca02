#!/usr/bin/env bash
# Prompt (pp) and generation (tg) speed of vecspace and llama.cpp on the same GGUF files, in one
# run, on one and two threads: SmolLM2-135M (Q4_1) and Gemma 3 270M (Q4_K_M). Builds llama.cpp
# once from the pinned PyPI sdist (llama-cpp-python 0.3.36, its vendor/llama.cpp) under
# target/llama.cpp with Debian's cmake — minutes on two cores; not part of CI. Prints a Markdown
# table for docs/PERFORMANCE.md.
#
#   bench/lm_speed.sh [REPETITIONS]      (default 5, each side alternately)
set -euo pipefail
cd "$(dirname "$0")/.."
repetitions=${1:-5}
llama=target/llama.cpp
if [ ! -x "$llama/build/bin/llama-bench" ]; then
  command -v cmake >/dev/null || { echo "lm_speed.sh: needs cmake (apt-get install cmake)" >&2; exit 2; }
  mkdir -p "$llama"
  python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python llama-cpp-python==0.3.36 -d "$llama"
  tar xzf "$llama/llama_cpp_python-0.3.36.tar.gz" -C "$llama"
  cmake -S "$llama/llama_cpp_python-0.3.36/vendor/llama.cpp" -B "$llama/build" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_CURL=OFF >/dev/null
  cmake --build "$llama/build" -j2 --target llama-bench llama-completion >/dev/null
fi
cargo build --release --quiet -p vecspace-cli
vs=target/release/vecspace
# 32 prompt tokens in both vocabularies (31 + BOS for Gemma, 32 for SmolLM2 with a leading word).
prompt="The history of the city begins in the early medieval period, when a small settlement grew around the river crossing and the market that served the farms of the valley"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(grep -o -w 'avx512_vnni\|avx2' /proc/cpuinfo | sort -u | xargs)"
echo
echo "| model | threads | vecspace pp | llama.cpp pp | ratio | vecspace tg | llama.cpp tg | ratio | tg floor |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for model in smollm2-135m gemma3-270m; do
  file=$("$vs" fetch "$model" | sed 's/.* in //')
  size=$(stat -c %s "$file")
  for threads in 1 2; do
    # The two alternate, one run each at a time, so a slow spell of a shared machine falls on
    # both; the medians are compared.
    measured=$(for _ in $(seq "$repetitions"); do
      "$llama/build/bin/llama-bench" -m "$file" -t "$threads" -p 32 -n 32 -r 1 -o csv 2>/dev/null |
        python3 -c 'import csv,sys; print("llama", " ".join(r["avg_ts"] for r in csv.DictReader(sys.stdin)))'
      RAYON_NUM_THREADS=$threads "$vs" lm generate --model "$model" --prompt "$prompt" --max-tokens 32 2>&1 >/dev/null | tail -1
    done | python3 -c '
import re, statistics, sys
ours, theirs = ([], []), ([], [])
for line in sys.stdin:
    if line.startswith("llama "):
        pp, tg = map(float, line.split()[1:3])
        theirs[0].append(pp); theirs[1].append(tg)
    elif m := re.search(r"\(([\d.]+)/s\), \d+ generated at ([\d.]+) tokens/s", line):
        ours[0].append(float(m.group(1))); ours[1].append(float(m.group(2)))
print(" ".join(f"{statistics.median(v):.1f}" for v in (*ours, *theirs)))')
    read -r our_pp our_tg their_pp their_tg <<<"$measured"
    # Decoding streams every weight once per token; 19 GB/s is one core's measured read bandwidth
    # here (FIELD-NOTES), so the file size over it bounds tokens/s from above.
    floor=$(python3 -c "print(f'{19e9 / $size:.0f}')")
    ratio() { python3 -c "print(f'{$1 / $2:.2f}×')"; }
    echo "| $model | $threads | $our_pp | $their_pp | $(ratio "$our_pp" "$their_pp") | $our_tg | $their_tg | $(ratio "$our_tg" "$their_tg") | $floor |"
  done
done
