#!/usr/bin/env bash
# The load generator (io.aphelion.loadtest.LoadTool) against a running server.
#
#   scripts/loadtest.sh --url ws://127.0.0.1:8080/aphelion --sessions 1000 --ramp 5s --rate 10 \
#       --duration 30s --protocol 2 --metrics http://127.0.0.1:8080 --server-pid <pid>
#   scripts/loadtest.sh --help
#
# Builds the test classes once into APHELION_BENCH_BUILD (default ${TMPDIR:-/tmp}/aphelion-bench-build;
# SKIP_BUILD=1 reuses it). CLIENT_JAVA_OPTS (default -Xmx2g) goes to the client JVM.
# Heap per session needs the server's Actuator metrics endpoint exposed
# (--management.endpoints.web.exposure.include=health,metrics) and, for a GC first, its pid.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${APHELION_BENCH_BUILD:-${TMPDIR:-/tmp}/aphelion-bench-build}"
if [ "${SKIP_BUILD:-0}" != "1" ] || [ ! -f "$build/bench-classpath.txt" ]; then
    echo "[loadtest] building into $build" >&2
    (cd "$repo" && ./mvnw -B -q test-compile dependency:build-classpath \
        -Daphelion.build.dir="$build" -Dmdep.outputFile="$build/bench-classpath.txt" -Dmdep.includeScope=test)
fi
# shellcheck disable=SC2086
exec java ${CLIENT_JAVA_OPTS:--Xmx2g} -cp "$build/test-classes:$build/classes:$(cat "$build/bench-classpath.txt")" \
    io.aphelion.loadtest.LoadTool "$@"
