#!/usr/bin/env bash
# Neighbour search through database servers next to the local engines, in one run
# (crates/vecspace/examples/remote_bench.rs): Milvus 2.3.5 and PostgreSQL 18.3 + pgvector 0.8.2,
# both from their pinned wheels, in one network namespace (Milvus's, see tests/remote/milvus.sh)
# with the benchmark, so that both answer over the same loopback. Needs root.
#
#   bench/remote_study.sh [remote_bench options…]     e.g. --space glove-6b-50d --indexes flat,hnsw,ivf
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p vecspace-cli -p vecspace --example remote_bench
vecspace=target/release/vecspace
milvus_wheel=$($vecspace fetch milvus-server | sed -n 's/.* in //p')
pg_wheel=$($vecspace fetch pgvector-server | sed -n 's/.* in //p')
$vecspace fetch google-analogies >/dev/null
export VECSPACE_MILVUS_DIR=${VECSPACE_MILVUS_DIR:-/tmp/vecspace-milvus-bench}
pg_dir=${VECSPACE_PG_DIR:-/tmp/vecspace-pgvector-bench}
tests/remote/milvus.sh start "$milvus_wheel" >/dev/null
trap 'tests/remote/milvus.sh run env VECSPACE_PG_DIR=$pg_dir tests/remote/postgres.sh stop; tests/remote/milvus.sh stop' EXIT
pg_uri=$(tests/remote/milvus.sh run env VECSPACE_PG_DIR="$pg_dir" VECSPACE_PG_PORT=55440 \
    tests/remote/postgres.sh start "$pg_wheel")
lscpu | sed -n 's/^Model name: *//p'
tests/remote/milvus.sh run target/release/examples/remote_bench \
    --pgvector "$pg_uri" --milvus http://root:Milvus@127.0.0.1:19530 "$@"
