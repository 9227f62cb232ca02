#!/usr/bin/env bash
# A local Milvus 2.3.5 standalone server (etcd, RocksMQ and local storage inside one process) from
# the pinned `milvus` wheel that `vecspace fetch milvus-server` caches. For the Milvus backend's
# tests and benchmarks.
#
#   tests/remote/milvus.sh start WHEEL   unpack (once), start, wait until healthy; prints the PID
#   tests/remote/milvus.sh run CMD...    run CMD in the server's network namespace
#   tests/remote/milvus.sh stop          SIGTERM, then SIGKILL after 5 s (2.3.5's graceful stop
#                                        can hang for minutes; acknowledged writes are durable)
#   tests/remote/milvus.sh kill          SIGKILL (crash tests)
#
# Milvus listens on every interface whatever its config says, so it runs in a network namespace
# of its own with only loopback up: nothing outside this machine, or outside that namespace, can
# reach it. Clients join with `milvus.sh run` (nsenter). It also gets a mount namespace, because
# 2.3.5 writes /run/milvus and /tmp/milvus whatever its config says. Needs root (unshare, nsenter).
# Everything else lives under $VECSPACE_MILVUS_DIR (default /tmp/vecspace-milvus).
set -euo pipefail

dir=${VECSPACE_MILVUS_DIR:-/tmp/vecspace-milvus}
pidfile=$dir/milvus.pid

running_pid() {
    [ -f "$pidfile" ] || return 1
    local pid state
    pid=$(cat "$pidfile")
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
    [ "$state" != gone ] && [ "$state" != Z ] && echo "$pid"
}

healthy() {
    # GET /healthz on the metrics port, inside the namespace, without curl.
    nsenter -t "$1" -n bash -c 'exec 3<>/dev/tcp/127.0.0.1/9091 && printf "GET /healthz HTTP/1.0\r\n\r\n" >&3 && cat <&3' \
        2>/dev/null | grep -q '^OK'
}

unpack() {
    local wheel=$1
    rm -rf "$dir/install.partial"
    mkdir -p "$dir/install.partial/bin" "$dir/install.partial/configs"
    unzip -q "$wheel" 'milvus/data/*' -d "$dir/install.partial/wheel"
    # The .lzma members are xz streams: the server binary and the libraries it links.
    for packed in "$dir"/install.partial/wheel/milvus/data/bin/*.lzma; do
        xz -dc "$packed" >"$dir/install.partial/bin/$(basename "$packed" .lzma)"
    done
    chmod 755 "$dir"/install.partial/bin/*
    cp "$dir/install.partial/wheel/milvus/data/glog.conf" "$dir/install.partial/configs/"
    rm -rf "$dir/install.partial/wheel"
    mv "$dir/install.partial" "$dir/install"
}

configure() {
    # Milvus reads configs/ in its working directory.
    mkdir -p "$dir/configs" "$dir/data" "$dir/logs" "$dir/run" "$dir/tmp"
    cp "$dir/install/configs/glog.conf" "$dir/configs/"
    # Every component's port must be set (they all default to 19530). Authentication is on: the
    # default user is root, password Milvus. No interim (approximate) index on growing segments,
    # so a FLAT collection is searched exactly from the first insert.
    cat >"$dir/configs/milvus.yaml" <<YAML
etcd:
  endpoints: localhost:2379
  use:
    embed: true
  data:
    dir: $dir/data/etcd.data
  log:
    path: $dir/logs/etcd.log
localStorage:
  path: $dir/data
common:
  storageType: local
  session:
    ttl: 10
  security:
    authorizationEnabled: true
mq:
  type: rocksmq
rocksmq:
  path: $dir/data/rocksmq
log:
  file:
    rootPath: $dir/logs
rootCoord:
  ip: 127.0.0.1
  port: 53100
proxy:
  ip: 127.0.0.1
  port: 19530
  internalPort: 19529
queryCoord:
  ip: 127.0.0.1
  port: 19531
queryNode:
  ip: 127.0.0.1
  port: 21123
  segcore:
    interimIndex:
      enableIndex: false
indexNode:
  ip: 127.0.0.1
  port: 21121
dataCoord:
  ip: 127.0.0.1
  port: 13333
dataNode:
  ip: 127.0.0.1
  port: 21124
YAML
}

case "${1:-}" in
start)
    wheel=${2:?usage: milvus.sh start WHEEL}
    if pid=$(running_pid) && healthy "$pid"; then
        echo "$pid"
        exit 0
    fi
    mkdir -p "$dir"
    [ -x "$dir/install/bin/milvus" ] || unpack "$wheel"
    configure
    setsid unshare -m -n sh -c '
        set -e
        mount --make-rprivate /
        mkdir -p /run/milvus /tmp/milvus
        mount --bind "$0/run" /run/milvus
        mount --bind "$0/tmp" /tmp/milvus
        ip link set lo up
        cd "$0"
        exec env DEPLOY_MODE=STANDALONE METRICS_PORT=9091 LD_LIBRARY_PATH="$1/bin" \
            "$1/bin/milvus" run standalone >"$0/logs/stdout.log" 2>"$0/logs/stderr.log" </dev/null
    ' "$dir" "$dir/install" &
    pid=$!
    echo "$pid" >"$pidfile"
    for _ in $(seq 1200); do
        if healthy "$pid"; then
            echo "$pid"
            exit 0
        fi
        if ! running_pid >/dev/null; then
            echo "milvus exited; see $dir/logs" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "milvus did not become healthy in 120 s; see $dir/logs" >&2
    exit 1
    ;;
run)
    shift
    pid=$(running_pid) || { echo "milvus is not running" >&2; exit 1; }
    exec nsenter -t "$pid" -n "$@"
    ;;
stop | kill)
    pid=$(running_pid) || exit 0
    if [ "$1" = stop ]; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            running_pid >/dev/null || exit 0
            sleep 0.1
        done
    fi
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        running_pid >/dev/null || exit 0
        sleep 0.1
    done
    ;;
*)
    echo "usage: milvus.sh start WHEEL | run CMD... | stop | kill" >&2
    exit 2
    ;;
esac
