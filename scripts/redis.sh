#!/usr/bin/env bash
# Runs redis-server in the foreground on 127.0.0.1:PORT with no persistence (no RDB snapshot, no
# append-only file): the state of a test or local cluster, gone when the process stops. Made for
# tests and scripts/cluster.sh: start it as a child process, wait until PORT answers, destroy the
# process when done.
#
#   scripts/redis.sh PORT [extra redis-server args, e.g. --loglevel warning]
#
# Installs redis-server with apt-get when missing (needs root then). redis-server replaces this
# shell (exec), so killing the returned process stops Redis. It runs in ${TMPDIR:-/tmp}, so that
# nothing it might write lands in the repository.
set -euo pipefail

if [ "$#" -lt 1 ]; then
    echo "usage: $0 PORT [redis-server args...]" >&2
    exit 2
fi
port="$1"
shift
case "$port" in
    ''|*[!0-9]*) echo "the port must be a number" >&2; exit 2 ;;
esac

if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
    echo "[redis.sh] installing redis-server" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null
    # The package starts a service on :6379 where an init system runs; tests use their own instance.
fi
redis="$(command -v redis-server || echo /usr/bin/redis-server)"

cd "${TMPDIR:-/tmp}"
exec "$redis" --port "$port" --bind 127.0.0.1 --save '' --appendonly no "$@"
