#!/usr/bin/env bash
# Runs HAProxy in the foreground with the shipped cluster config
# (deploy/proxies/haproxy/aphelion-cluster.cfg), listening on 127.0.0.1:LISTEN_PORT and balancing
# round robin over one node per BACKEND_PORT on 127.0.0.1, each probed on its readiness endpoint.
# Made for tests and scripts/cluster.sh: start it as a child process, wait until LISTEN_PORT
# accepts connections, destroy the process when done.
#
#   scripts/haproxy.sh LISTEN_PORT BACKEND_PORT [BACKEND_PORT...]
#
# Environment:
#   APHELION_HAPROXY_CHECK_INTER  health-check period (inter, fastinter and downinter), e.g. 200ms
#                                 for tests; default: the config's own (2s, 500ms, 2s)
#   APHELION_HAPROXY_FALL/RISE    failed/passed probes to leave/rejoin the rotation (default 2/2)
#
# Installs haproxy with apt-get when missing (needs root then). haproxy replaces this shell
# (exec), so killing the returned process stops HAProxy. The generated config is
# ${TMPDIR:-/tmp}/aphelion-haproxy-LISTEN_PORT.cfg.
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 LISTEN_PORT BACKEND_PORT [BACKEND_PORT...]" >&2
    exit 2
fi
for port in "$@"; do
    case "$port" in
        ''|*[!0-9]*) echo "ports must be numbers: $port" >&2; exit 2 ;;
    esac
done
listen_port="$1"
shift

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cfg_src="$repo/deploy/proxies/haproxy/aphelion-cluster.cfg"

# shellcheck source=lib/ensure-command.sh
. "$repo/scripts/lib/ensure-command.sh"
ensure_command haproxy haproxy
haproxy="$ENSURED"

inter="${APHELION_HAPROXY_CHECK_INTER:-}"
fall="${APHELION_HAPROXY_FALL:-2}"
rise="${APHELION_HAPROXY_RISE:-2}"
case "$inter" in
    ''|[0-9]*) ;;
    *) echo "APHELION_HAPROXY_CHECK_INTER must be a duration such as 200ms: $inter" >&2; exit 2 ;;
esac

cfg="${TMPDIR:-/tmp}/aphelion-haproxy-$listen_port.cfg"
# Every APHELION_BACKEND line gives way to one line per backend port, where the first one stood.
awk -v listen="$listen_port" -v backends="$*" -v inter="$inter" -v fall="$fall" -v rise="$rise" '
    /# APHELION_LISTEN/ { sub(/bind [^ #]+/, "bind 127.0.0.1:" listen); print; next }
    /# APHELION_CHECK/ {
        if (inter != "") {
            sub(/ inter [^ ]+/, " inter " inter); sub(/ fastinter [^ ]+/, " fastinter " inter)
            sub(/ downinter [^ ]+/, " downinter " inter)
        }
        sub(/ fall [0-9]+/, " fall " fall); sub(/ rise [0-9]+/, " rise " rise)
        print; next
    }
    /# APHELION_BACKEND/ {
        if (!done) {
            n = split(backends, ports, " ")
            for (i = 1; i <= n; i++) printf "    server node%d 127.0.0.1:%s # APHELION_BACKEND\n", i, ports[i]
            done = 1
        }
        next
    }
    { print }
' "$cfg_src" > "$cfg"
grep -q "bind 127.0.0.1:$listen_port " "$cfg" || { echo "[haproxy.sh] could not set the listen port in $cfg" >&2; exit 1; }
[ "$(grep -c '# APHELION_BACKEND' "$cfg")" -eq "$#" ] || { echo "[haproxy.sh] could not set the backends in $cfg" >&2; exit 1; }
"$haproxy" -q -c -f "$cfg" >&2

exec "$haproxy" -db -f "$cfg"
