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

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/ensure-command.sh
. "$repo/scripts/lib/ensure-command.sh"
ensure_command redis-server redis-server /usr/bin/redis-server
redis="$ENSURED"

cd "${TMPDIR:-/tmp}"
exec "$redis" --port "$port" --bind 127.0.0.1 --save '' --appendonly no "$@"
