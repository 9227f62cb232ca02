#!/usr/bin/env bash
# vecspace's HNSW build and search against faiss IndexHNSWFlat, in one run on the same machine,
# rows and queries (crates/vecspace/examples/hnsw_build.rs, bench/hnsw_faiss.py).
#
#   bench/hnsw_anchor.sh [SPACE [hnsw_build options…]]   SPACE: a registered name or a file
#                                                        (default glove-6b-50d)
#   e.g. bench/hnsw_anchor.sh glove-6b-50d --precision single,half
set -euo pipefail
cd "$(dirname "$0")/.."
space=${1:-glove-6b-50d}
shift || true
venv=${VECSPACE_BENCH_VENV:-target/bench-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check numpy faiss-cpu==1.15.1
cargo build --release --quiet -p vecspace --example hnsw_build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lscpu | sed -n 's/^Model name: *//p'
target/release/examples/hnsw_build --space "$space" --export "$work" "$@"
"$venv/bin/python" bench/hnsw_faiss.py "$work"
