# Sourced by the runner scripts (varnish.sh, haproxy.sh, redis.sh): makes sure a Debian package's
# command is there, installing the package with apt-get when it is missing (needs root then).
#
#   ensure_command COMMAND PACKAGE [SBIN_OR_BIN_PATH]   # then "$ENSURED" is the command's path
#
# The package may start a service of its own where an init system runs; the scripts start their
# own instance on their own port, so that one does not matter.
ensure_command() {
    local command="$1" package="$2" fallback="${3:-/usr/sbin/$1}"
    if ! command -v "$command" >/dev/null 2>&1 && [ ! -x "$fallback" ]; then
        echo "[$(basename "$0")] installing $package" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "$package" >/dev/null
    fi
    ENSURED="$(command -v "$command" || echo "$fallback")"
}
