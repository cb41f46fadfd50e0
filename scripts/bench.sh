#!/usr/bin/env bash
# Side-by-side benchmark: the Aphelion server (its packaged jar) and a raw Netty baseline
# (src/test/java/io/aphelion/loadtest/baseline) under the same load, one after the other, on
# loopback. Prints each run, a summary with ratios and the targets, and ends with
#   ratio_round_trips=<x>
#   heap_bytes_per_idle_session=<n>
#   ack_latency_p99_ms=<x>
#
#   scripts/bench.sh [Bench options]      e.g. --idle-sessions 5000 --duration 5s (quick run)
#
# Options: --idle-sessions N (15000) --latency-sessions N (1000) --latency-rate R (10)
#          --saturation-sessions N (100) --window N (8) --duration D (10s) --warmup D (3s)
# Environment: APHELION_BENCH_BUILD (build folder, default ${TMPDIR:-/tmp}/aphelion-bench-build),
#          SERVER_PORT (18080), BASELINE_PORT (18090), WARMUP_PORT (18095: a throwaway baseline
#          that warms the load client up before anything is measured), SERVER_JAVA_OPTS (-Xmx2g, used for both
#          servers), CLIENT_JAVA_OPTS (-Xmx2g), SKIP_BUILD=1 to reuse the last build,
#          SERVER_ARGS (extra server arguments, e.g. --aphelion.websocket.engine=servlet),
#          SERVER_JAR (the server jar to measure; default: the one this build packaged),
#          PIN_CPUS=1 (servers on CPU 0, client on the others: latency without the client on the
#          server's core; needs taskset).
# Needs: JDK 17 (java, jcmd), curl, ~17,000 open files per process (ulimit -n) for 15,000 sessions.
# The server runs with its inbound rate limit raised to 1,000,000 frames/s per connection, so that
# no scenario ever measures the limit (the saturation one sends ~2,000 frames/s on each).
# Takes about 3 minutes. Never run it in CI: it is slow and the numbers need a quiet machine.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${APHELION_BENCH_BUILD:-${TMPDIR:-/tmp}/aphelion-bench-build}"
server_port="${SERVER_PORT:-18080}"
baseline_port="${BASELINE_PORT:-18090}"
warmup_port="${WARMUP_PORT:-18095}"
server_opts="${SERVER_JAVA_OPTS:--Xmx2g}"
client_opts="${CLIENT_JAVA_OPTS:--Xmx2g}"

if [ "${SKIP_BUILD:-0}" != "1" ]; then
    echo "[bench] building into $build" >&2
    (cd "$repo" && ./mvnw -B -q package dependency:build-classpath -DskipTests \
        -Daphelion.build.dir="$build" -Dmdep.outputFile="$build/bench-classpath.txt" -Dmdep.includeScope=test)
fi
# SERVER_JAR: measure another server jar (e.g. an older build, for before/after) with this load client.
jar="${SERVER_JAR:-$(ls "$build"/aphelion-server-*-exec.jar | head -n 1)}"
classpath="$build/test-classes:$build/classes:$(cat "$build/bench-classpath.txt")"

# PIN_CPUS=1: servers on CPU 0, the load client on the other CPUs (taskset), so latency is not
# measured through a client that competes for the server's core. Halves the servers' CPU on 2 cores.
server_cpus=()
client_cpus=()
if [ "${PIN_CPUS:-0}" = "1" ]; then
    if [ "$(nproc)" -lt 2 ]; then echo "[bench] PIN_CPUS=1 needs at least 2 CPUs" >&2; exit 1; fi
    server_cpus=(taskset -c 0)
    client_cpus=(taskset -c "1-$(( $(nproc) - 1 ))")
fi

server_pid=""
baseline_pid=""
warmup_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    [ -n "$baseline_pid" ] && kill "$baseline_pid" 2>/dev/null || true
    [ -n "$warmup_pid" ] && kill "$warmup_pid" 2>/dev/null || true
}
trap cleanup EXIT

wait_http() { # url pid log
    for _ in $(seq 1 120); do
        if curl -sf -o /dev/null "$1"; then return 0; fi
        if ! kill -0 "$2" 2>/dev/null; then echo "[bench] process died, log:" >&2; tail -n 30 "$3" >&2; exit 1; fi
        sleep 0.5
    done
    echo "[bench] $1 not ready after 60 s, log:" >&2; tail -n 30 "$3" >&2; exit 1
}

echo "[bench] ulimit -n: $(ulimit -n), cores: $(nproc), java: $(java -version 2>&1 | head -n 1)"
# shellcheck disable=SC2086
"${server_cpus[@]}" java $server_opts -jar "$jar" --server.port="$server_port" --server.address=127.0.0.1 \
    --management.endpoints.web.exposure.include=health,metrics \
    --aphelion.websocket.rate-limit.messages-per-second=1000000 --aphelion.websocket.rate-limit.burst=1000000 \
    ${SERVER_ARGS:-} >"$build/bench-server.log" 2>&1 &
server_pid=$!
# shellcheck disable=SC2086
"${server_cpus[@]}" java $server_opts -cp "$classpath" io.aphelion.loadtest.baseline.NettyBaselineServer "$baseline_port" \
    >"$build/bench-baseline.log" 2>&1 &
baseline_pid=$!
# A third, throwaway baseline that only warms the load client up (see Bench's javadoc).
java -Xmx1g -cp "$classpath" io.aphelion.loadtest.baseline.NettyBaselineServer "$warmup_port" \
    >"$build/bench-warmup.log" 2>&1 &
warmup_pid=$!
wait_http "http://127.0.0.1:$server_port/actuator/health" "$server_pid" "$build/bench-server.log"
wait_http "http://127.0.0.1:$baseline_port/actuator/metrics/jvm.memory.used" "$baseline_pid" "$build/bench-baseline.log"
wait_http "http://127.0.0.1:$warmup_port/actuator/metrics/jvm.memory.used" "$warmup_pid" "$build/bench-warmup.log"
echo "[bench] aphelion pid $server_pid on $server_port, netty baseline pid $baseline_pid on $baseline_port"

# shellcheck disable=SC2086
"${client_cpus[@]}" java $client_opts -cp "$classpath" io.aphelion.loadtest.Bench \
    --server-url "ws://127.0.0.1:$server_port/aphelion" --server-metrics "http://127.0.0.1:$server_port" \
    --server-pid "$server_pid" \
    --baseline-url "ws://127.0.0.1:$baseline_port/aphelion" --baseline-metrics "http://127.0.0.1:$baseline_port" \
    --baseline-pid "$baseline_pid" --client-warmup-url "ws://127.0.0.1:$warmup_port/aphelion" "$@"
