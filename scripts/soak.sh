#!/usr/bin/env bash
# The soak (io.aphelion.loadtest.Soak) against a running server: acking game clients chat through
# the default lobby, drop connections (TCP abort, no close frame) and resume them with their token,
# some holding two connections, beside slow readers and ping flooders; then it counts what was
# sent, received, lost, duplicated and reordered. Exits 1 on any loss, reordering, unexpected
# session end or client error. Loopback targets only; it stops by itself.
#
#   scripts/soak.sh --url ws://127.0.0.1:8080/aphelion --duration 60s --metrics http://127.0.0.1:8080
#   scripts/soak.sh --url ws://127.0.0.1:8080/aphelion --duration 2h --sessions 200 --drops-per-minute 2
#   scripts/soak.sh --help
#
# Builds the test classes once into APHELION_BENCH_BUILD (default ${TMPDIR:-/tmp}/aphelion-bench-build,
# shared with scripts/loadtest.sh; SKIP_BUILD=1 reuses it). CLIENT_JAVA_OPTS (default -Xmx1g) goes
# to the client JVM.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${APHELION_BENCH_BUILD:-${TMPDIR:-/tmp}/aphelion-bench-build}"
if [ "${SKIP_BUILD:-0}" != "1" ] || [ ! -f "$build/bench-classpath.txt" ]; then
    echo "[soak] building into $build" >&2
    (cd "$repo" && ./mvnw -B -q test-compile dependency:build-classpath \
        -Daphelion.build.dir="$build" -Dmdep.outputFile="$build/bench-classpath.txt" -Dmdep.includeScope=test)
fi
# shellcheck disable=SC2086
exec java ${CLIENT_JAVA_OPTS:--Xmx1g} -cp "$build/test-classes:$build/classes:$(cat "$build/bench-classpath.txt")" \
    io.aphelion.loadtest.Soak "$@"
