#!/usr/bin/env bash
# Side-by-side benchmark: the Aphelion server (its packaged jar) and its peers under the same load,
# one after the other, on loopback:
#   netty        the raw Netty baseline (src/test/java/io/aphelion/loadtest/baseline, Netty's defaults)
#   tuned-netty  the same server on epoll, pooled direct buffers, one flush per read batch
#   uws          uWebSockets.js speaking the same framing (scripts/bench-peers, needs Node.js and npm)
# Prints each run, a summary with the server's ratio to each peer and the targets, and ends with
#   ratio_handshakes=<x>                 (server / netty, as before the other peers)
#   ratio_round_trips=<x>
#   heap_bytes_per_idle_session=<n>
#   ack_latency_p99_ms=<x>
#   ratio_<figure>_vs_<peer>=<x>         server / peer, e.g. ratio_cpu_per_round_trip_vs_uws=
#
#   scripts/bench.sh [Bench options]      e.g. --idle-sessions 5000 --duration 5s (quick run)
#
# Options: --idle-sessions N (15000) --latency-sessions N (1000) --latency-rate R (10)
#          --saturation-sessions N (100) --window N (8) --duration D (10s) --warmup D (3s)
# Environment: PEERS (what to measure, comma-separated, of server,netty,tuned-netty,uws; default all),
#          APHELION_BENCH_BUILD (build folder, default ${TMPDIR:-/tmp}/aphelion-bench-build),
#          SERVER_PORT (18080), BASELINE_PORT (18090), TUNED_NETTY_PORT (18091), UWS_PORT (18092),
#          WARMUP_PORT (18095: a throwaway baseline that warms the load client up before anything is
#          measured), SERVER_JAVA_OPTS (-Xmx2g, used for every JVM server), CLIENT_JAVA_OPTS (-Xmx2g),
#          SKIP_BUILD=1 to reuse the last build (and the peers' npm install, if there is one),
#          SERVER_ARGS (extra server arguments, e.g. --aphelion.websocket.engine=servlet),
#          SERVER_JAR (the server jar to measure; default: the one this build packaged),
#          PIN_CPUS=1 (servers on CPU 0, client on the others: latency without the client on the
#          server's core; needs taskset).
# Needs: JDK 17 (java, jcmd), curl, ~17,000 open files per process (ulimit -n) for 15,000 sessions;
# for uws, Node.js 18+ and npm (npm ci in scripts/bench-peers, from the npm registry).
# The server runs with its inbound rate limit raised to 1,000,000 frames/s per connection, so that
# no scenario ever measures the limit (the saturation one sends ~2,000 frames/s on each).
# Takes about 3 minutes for the server and the baseline, about one more per further peer. Never run
# it in CI: it is slow and the numbers need a quiet machine.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${APHELION_BENCH_BUILD:-${TMPDIR:-/tmp}/aphelion-bench-build}"
server_port="${SERVER_PORT:-18080}"
baseline_port="${BASELINE_PORT:-18090}"
tuned_port="${TUNED_NETTY_PORT:-18091}"
uws_port="${UWS_PORT:-18092}"
warmup_port="${WARMUP_PORT:-18095}"
server_opts="${SERVER_JAVA_OPTS:--Xmx2g}"
client_opts="${CLIENT_JAVA_OPTS:--Xmx2g}"
peers_dir="$repo/scripts/bench-peers"

# PEERS: which servers to measure (the load client's warm-up server always runs).
declare -A measure=()
IFS=',' read -r -a wanted <<<"${PEERS:-server,netty,tuned-netty,uws}"
for peer in "${wanted[@]}"; do
    case "$peer" in
        server|netty|tuned-netty|uws) measure[$peer]=1 ;;
        "") ;;
        *) echo "[bench] unknown peer '$peer' in PEERS (known: server,netty,tuned-netty,uws)" >&2; exit 2 ;;
    esac
done
if [ "${#measure[@]}" -eq 0 ]; then echo "[bench] PEERS names nothing to measure" >&2; exit 2; fi
measures() { [ -n "${measure[$1]:-}" ]; }
echo "[bench] measuring: ${PEERS:-server,netty,tuned-netty,uws}" >&2

if measures uws && ! { command -v node >/dev/null && command -v npm >/dev/null; }; then
    echo "[bench] the uws peer needs Node.js and npm (or leave it out: PEERS=server,netty,tuned-netty)" >&2
    exit 1
fi

if [ "${SKIP_BUILD:-0}" != "1" ]; then
    echo "[bench] building into $build" >&2
    (cd "$repo" && ./mvnw -B -q package dependency:build-classpath -DskipTests \
        -Daphelion.build.dir="$build" -Dmdep.outputFile="$build/bench-classpath.txt" -Dmdep.includeScope=test)
fi
if measures uws && { [ "${SKIP_BUILD:-0}" != "1" ] || [ ! -d "$peers_dir/node_modules/@trufflesuite" ]; }; then
    echo "[bench] installing the uws peer (npm ci in $peers_dir)" >&2
    (cd "$peers_dir" && npm ci --no-audit --no-fund --omit=optional --loglevel=error >&2)
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

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

# shellcheck source=lib/wait-http.sh
. "$repo/scripts/lib/wait-http.sh"

# launch NAME READY_URL COMMAND...: starts a server in the background (log in $build/bench-NAME.log)
# and sets launched_pid; await_all then waits until every launched server's READY_URL answers.
launched=()
launch() {
    local name="$1" ready="$2"
    shift 2
    "$@" >"$build/bench-$name.log" 2>&1 &
    launched_pid=$!
    pids+=("$launched_pid")
    launched+=("$name $launched_pid $ready")
}
await_all() {
    local name pid ready
    for entry in "${launched[@]}"; do
        read -r name pid ready <<<"$entry"
        wait_http "$ready" "$pid" "$build/bench-$name.log"
        echo "[bench] $name pid $pid ready: $ready"
    done
}

echo "[bench] ulimit -n: $(ulimit -n), cores: $(nproc), java: $(java -version 2>&1 | head -n 1)"
bench_args=()
if measures server; then
    # shellcheck disable=SC2086
    launch server "http://127.0.0.1:$server_port/actuator/health" \
        "${server_cpus[@]}" java $server_opts -jar "$jar" --server.port="$server_port" --server.address=127.0.0.1 \
        --management.endpoints.web.exposure.include=health,metrics \
        --aphelion.websocket.rate-limit.messages-per-second=1000000 --aphelion.websocket.rate-limit.burst=1000000 \
        ${SERVER_ARGS:-}
    bench_args+=(--server-url "ws://127.0.0.1:$server_port/aphelion" --server-metrics "http://127.0.0.1:$server_port"
        --server-pid "$launched_pid")
fi
if measures netty; then
    # shellcheck disable=SC2086
    launch baseline "http://127.0.0.1:$baseline_port/actuator/metrics/jvm.memory.used" \
        "${server_cpus[@]}" java $server_opts -cp "$classpath" io.aphelion.loadtest.baseline.NettyBaselineServer "$baseline_port"
    bench_args+=(--baseline-url "ws://127.0.0.1:$baseline_port/aphelion" --baseline-metrics "http://127.0.0.1:$baseline_port"
        --baseline-pid "$launched_pid")
fi
if measures tuned-netty; then
    # shellcheck disable=SC2086
    launch tuned-netty "http://127.0.0.1:$tuned_port/actuator/metrics/jvm.memory.used" \
        "${server_cpus[@]}" java $server_opts -cp "$classpath" io.aphelion.loadtest.baseline.TunedNettyServer "$tuned_port"
    bench_args+=(--tuned-netty-url "ws://127.0.0.1:$tuned_port/aphelion" --tuned-netty-metrics "http://127.0.0.1:$tuned_port"
        --tuned-netty-pid "$launched_pid")
fi
if measures uws; then
    # node itself, not npm: its pid is the one whose CPU time and resident memory are read.
    launch uws "http://127.0.0.1:$uws_port/health" \
        "${server_cpus[@]}" node --expose-gc "$peers_dir/uws-server.mjs" "$uws_port"
    bench_args+=(--uws-url "ws://127.0.0.1:$uws_port/aphelion" --uws-metrics "http://127.0.0.1:$uws_port"
        --uws-pid "$launched_pid")
fi
# A throwaway baseline that only warms the load client up (see Bench's javadoc).
launch warmup "http://127.0.0.1:$warmup_port/actuator/metrics/jvm.memory.used" \
    java -Xmx1g -cp "$classpath" io.aphelion.loadtest.baseline.NettyBaselineServer "$warmup_port"
await_all

# shellcheck disable=SC2086
"${client_cpus[@]}" java $client_opts -cp "$classpath" io.aphelion.loadtest.Bench "${bench_args[@]}" \
    --client-warmup-url "ws://127.0.0.1:$warmup_port/aphelion" "$@"
