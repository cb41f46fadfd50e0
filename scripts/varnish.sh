#!/usr/bin/env bash
# Runs Varnish in the foreground with the shipped VCL (deploy/proxies/varnish/aphelion.vcl),
# its backend port replaced, listening on loopback. Made for tests: start it as a child process,
# wait until LISTEN_PORT accepts connections, destroy the process when done.
#
#   scripts/varnish.sh BACKEND_PORT LISTEN_PORT [extra varnishd args, e.g. -p pipe_timeout=5]
#
# Installs varnish with apt-get when missing (needs root then). varnishd replaces this shell
# (exec), so killing the returned process stops Varnish. Work files: ${TMPDIR:-/tmp}/aphelion-varnish-LISTEN_PORT.
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 BACKEND_PORT LISTEN_PORT [varnishd args...]" >&2
    exit 2
fi
backend_port="$1"
listen_port="$2"
shift 2
case "$backend_port$listen_port" in
    *[!0-9]*) echo "ports must be numbers" >&2; exit 2 ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vcl_src="$repo/deploy/proxies/varnish/aphelion.vcl"

# shellcheck source=lib/ensure-command.sh
. "$repo/scripts/lib/ensure-command.sh"
ensure_command varnishd varnish
varnishd="$ENSURED"

work="${TMPDIR:-/tmp}/aphelion-varnish-$listen_port"
rm -rf "$work"
mkdir -p "$work"
chmod 0755 "$work"
vcl="$work/aphelion.vcl"
sed -E "s/^([[:space:]]*\.port = \")[0-9]+(\";.*APHELION_BACKEND_PORT.*)$/\1$backend_port\2/" "$vcl_src" > "$vcl"
grep -q "\.port = \"$backend_port\";" "$vcl" || { echo "[varnish.sh] could not set the backend port in $vcl" >&2; exit 1; }
chmod 0644 "$vcl"

exec "$varnishd" -F -a "127.0.0.1:$listen_port" -T none -f "$vcl" -n "$work/n" -s malloc,32m "$@"
