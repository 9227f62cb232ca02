#!/usr/bin/env bash
# The sentence encoder's speed on 10 000 real sentences, one and two threads, against the floor
# set by the machine's matrix-product rate in the same run (crates/text/examples/sentence_speed.rs);
# then `vecspace embed` on the same file, end to end. Prints the rows for docs/PERFORMANCE.md.
#
#   bench/sentence_speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --no-deps --quiet gensim==4.4.0 --platform manylinux_2_28_x86_64 \
  --python-version 3.11 --implementation cp --abi cp311 -d "$work"
python3 bench/sentences.py "$work"/gensim-4.4.0-*.whl > "$work/sentences.txt"
cargo build --release --quiet -p vecspace-text --example sentence_speed -p vecspace-cli
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
target/release/examples/sentence_speed "$work/sentences.txt"
for threads in 1 2; do
  /usr/bin/time -f "vecspace embed, $threads thread(s): %e s, %M KB" env RAYON_NUM_THREADS=$threads \
    target/release/vecspace embed "$work/sentences.txt" --space minilm-l6 --out "$work/s.vsp" --force
done
