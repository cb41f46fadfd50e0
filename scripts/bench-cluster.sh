#!/usr/bin/env bash
# Cluster mode against one node, side by side in one run, with the same load client
# (io.aphelion.loadtest.LoadTool), on loopback. Four configurations, alternated round by round:
#   single    one node, cluster off
#   local     three nodes, cluster on, one Redis (scripts/redis.sh); each session opened on node 1
#             and measured on node 1: the connection lands on its owner
#   moved     the same three nodes; each session opened on node 1 (that connection closed with
#             4005, so the session lives on without a connection) and measured on node 2: node 1
#             hands the session over at the resume, and node 2 owns it from then on (no relay)
#   relayed   the same three nodes; each session opened on node 1 and that connection kept open
#             and idle (LoadTool --session-connection keep), measured on node 2, which relays it
#             to node 1 (one websocket hop more): the session keeps a connection on its owner
# Every measured connection resumes a session opened just before by the same client
# (LoadTool --session-url), in every configuration. A resume answered with another token (the
# relay, the move or the directory failed) stops the run.
#
# The lobby (protocol 2) routes its answers over all the connections of a session, so in
# "relayed" some would reach the kept connection on node 1 instead of the measured one: relayed
# runs only the ping scenarios (protocol 1 answers on the connection the ping came on), and each
# run reports how many packets reached the kept connections (kept_connection_packets, 0 expected).
#
#   scripts/bench-cluster.sh            (about 15 minutes with the defaults, more while others hold the lock)
#
# Each round and configuration, after an unrecorded warm-up run:
#   handshakes   HANDSHAKE_SESSIONS game sessions, 256 in flight, idle    -> handshakes/s, cpu each
#                (moved: each handshake is a move; relayed: each opens a relay link)
#   sat-ping     SATURATION_SESSIONS x WINDOW pings in flight (protocol 1) -> round trips/s, cpu each
#   sat-lobby    the same with time_request (protocol 2, the default lobby; not in relayed)
#   lat-lobby    LATENCY_SESSIONS x LATENCY_RATE/s time_requests             -> ack p50 / p99 / p99.9
#                (not in relayed)
#   lat-ping     the same with pings
# Server cpu is /proc time of every server process together (cluster: the three nodes and Redis).
# Prints a summary (median of rounds, min-max, ratios to single) and leaves every run's output in
# $APHELION_BENCH_BUILD/cluster-runs/.
#
# Environment (defaults in brackets): ROUNDS [3], APHELION_BENCH_BUILD
# [${TMPDIR:-/tmp}/aphelion-cluster-bench-build], SKIP_BUILD=1 (reuse the last build),
# SINGLE_PORT [18300], NODE_PORTS ["18311 18312 18313"], REDIS_PORT [the first free from 16380],
# SERVER_JAVA_OPTS [-Xmx1g, every node], CLIENT_JAVA_OPTS [-Xmx2g], BENCH_LOCK
# [/tmp/aphelion-bench.lock: every load run holds it, so benchmarks sharing the machine take
# turns; do not run this script itself under it], HANDSHAKE_SESSIONS [3000], LATENCY_SESSIONS
# [1000], LATENCY_RATE [10], SATURATION_SESSIONS [100], WINDOW [8], WARMUP [3s], DURATION [8s],
# LATENCY_DURATION [10s], CONFIGS ["single local moved relayed": the configurations run],
# NODE_ARGS [none: added to every node's command line, the single node's too, e.g.
# --aphelion.websocket.ack-delay=40ms].
# Needs: JDK 17, curl, redis-server (scripts/redis.sh installs it), ss. Never run it in CI.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${APHELION_BENCH_BUILD:-${TMPDIR:-/tmp}/aphelion-cluster-bench-build}"
rounds="${ROUNDS:-3}"
single_port="${SINGLE_PORT:-18300}"
read -r -a node_ports <<<"${NODE_PORTS:-18311 18312 18313}"
server_opts="${SERVER_JAVA_OPTS:--Xmx1g}"
client_opts="${CLIENT_JAVA_OPTS:--Xmx2g}"
lock="${BENCH_LOCK:-/tmp/aphelion-bench.lock}"
handshake_sessions="${HANDSHAKE_SESSIONS:-3000}"
latency_sessions="${LATENCY_SESSIONS:-1000}"
latency_rate="${LATENCY_RATE:-10}"
saturation_sessions="${SATURATION_SESSIONS:-100}"
window="${WINDOW:-8}"
warmup="${WARMUP:-3s}"
duration="${DURATION:-8s}"
latency_duration="${LATENCY_DURATION:-10s}"
read -r -a node_args <<<"${NODE_ARGS:-}"
configs=" ${CONFIGS:-single local moved relayed} "
secret="bench-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"

if [ "${#node_ports[@]}" -ne 3 ]; then echo "[bench-cluster] NODE_PORTS must name three ports" >&2; exit 2; fi
listening() { ss -ltnH "sport = :$1" | grep -q .; }
for port in "$single_port" "${node_ports[@]}"; do
    if listening "$port"; then echo "[bench-cluster] port $port is in use" >&2; exit 1; fi
done
redis_port="${REDIS_PORT:-}"
if [ -z "$redis_port" ]; then
    for port in $(seq 16380 16480); do
        if ! listening "$port"; then redis_port="$port"; break; fi
    done
fi

if [ "${SKIP_BUILD:-0}" != "1" ] || [ ! -f "$build/bench-classpath.txt" ]; then
    echo "[bench-cluster] building into $build" >&2
    (cd "$repo" && ./mvnw -B -o -q package dependency:build-classpath -DskipTests \
        -Daphelion.build.dir="$build" -Dmdep.outputFile="$build/bench-classpath.txt" -Dmdep.includeScope=test)
fi
jar="$(ls "$build"/aphelion-server-*-exec.jar | head -n 1)"
classpath="$build/test-classes:$build/classes:$(cat "$build/bench-classpath.txt")"
runs="$build/cluster-runs"
rm -rf "$runs"
mkdir -p "$runs"
results="$runs/results.tsv"
: >"$results"

pids=()
# Newest first, each waited for: the nodes stop before the Redis they use.
stop_servers() {
    local i
    for (( i=${#pids[@]}-1; i>=0; i-- )); do
        kill "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    pids=()
}
trap stop_servers EXIT

# shellcheck source=lib/wait-http.sh
. "$repo/scripts/lib/wait-http.sh"

common_args=(--server.address=127.0.0.1 --management.endpoints.web.exposure.include=health,metrics
    --aphelion.websocket.rate-limit.messages-per-second=1000000 --aphelion.websocket.rate-limit.burst=1000000
    --aphelion.session.expiry=5m)

# start_node NAME PORT [args]: sets started_pid.
start_node() {
    local name="$1" port="$2"
    shift 2
    # shellcheck disable=SC2086
    java $server_opts -jar "$jar" --server.port="$port" "${common_args[@]}" "${node_args[@]}" "$@" >"$runs/$name.log" 2>&1 &
    started_pid=$!
    pids+=("$started_pid")
}

start_single() { # round
    start_node "single-r$1" "$single_port"
    single_pid=$started_pid
    wait_http "http://127.0.0.1:$single_port/actuator/health/readiness" "$single_pid" "$runs/single-r$1.log" 120
    echo "[bench-cluster] round $1: single node pid $single_pid on $single_port"
}

start_cluster() { # round
    "$repo/scripts/redis.sh" "$redis_port" --loglevel warning >"$runs/redis-r$1.log" 2>&1 &
    redis_pid=$!
    pids+=("$redis_pid")
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null; then break; fi
        sleep 0.1
    done
    node_pids=()
    local i
    for i in 0 1 2; do
        start_node "node$((i + 1))-r$1" "${node_ports[i]}" --aphelion.cluster.enabled=true --aphelion.cluster.secret="$secret" \
            --aphelion.cluster.advertise-address="127.0.0.1:${node_ports[i]}" \
            --spring.data.redis.host=127.0.0.1 --spring.data.redis.port="$redis_port"
        node_pids+=("$started_pid")
    done
    for i in 0 1 2; do
        wait_http "http://127.0.0.1:${node_ports[i]}/actuator/health/readiness" "${node_pids[i]}" "$runs/node$((i + 1))-r$1.log" 120
    done
    # Every node must see the two others before anything is relayed.
    sleep 3
    echo "[bench-cluster] round $1: cluster nodes ${node_pids[*]} on ${node_ports[*]}, redis $redis_pid on $redis_port"
}

# load ROUND CONFIG SCENARIO SESSION_URL URL CPU_PIDS [LoadTool args]: one run under the lock; its
# report goes to $runs and its figures to results.tsv (scenario "warmup" is not recorded). The
# opener connection is kept open in "relayed" only.
load() {
    local round="$1" config="$2" scenario="$3" session_url="$4" url="$5" cpu="$6"
    shift 6
    local mode=close
    [ "$config" = relayed ] && mode=keep
    local out="$runs/r$round-$config-$scenario.txt" rc=0
    # shellcheck disable=SC2086
    flock "$lock" java $client_opts -cp "$classpath" io.aphelion.loadtest.LoadTool --quiet --label "$config-$scenario" \
        --session-url "$session_url" --session-connection "$mode" --url "$url" --cpu-pids "$cpu" "$@" >"$out" 2>&1 || rc=$?
    if [ "$rc" -eq 3 ]; then
        cat "$out" >&2
        echo "[bench-cluster] round $round $config $scenario: resumes came back with another token (relay, move or directory failed); stopping" >&2
        exit 3
    fi
    if [ "$rc" -ne 0 ]; then
        echo "[bench-cluster] round $round $config $scenario: exit $rc (not every session opened):" >&2
        cat "$out" >&2
    fi
    sed -n 's/^\[[^]]*\] \(closes by code=.*\)/'"r$round $config $scenario"': \1/p' "$out"
    [ "$scenario" = warmup ] && return 0
    record() { if [ -n "$2" ]; then printf '%s\t%s\t%s\t%s\n' "$round" "$config" "$1" "$2" >>"$results"; fi; }
    local kept
    kept="$(sed -n 's/.*payload packets on the kept session connections=\([0-9]*\).*/\1/p' "$out")"
    if [ -n "$kept" ] && [ "$kept" != 0 ]; then
        echo "[bench-cluster] round $round $config $scenario: $kept packets reached the kept connections, not the measured ones" >&2
    fi
    record "kept_connection_packets_$scenario" "$kept"
    case "$scenario" in
        handshakes)
            record handshakes_per_s "$(sed -n 's/.*\] handshakes\/s=\([0-9.]*\).*/\1/p' "$out")"
            record cpu_us_per_handshake "$(sed -n 's/.*server cpu per handshake=\([0-9.]*\) us.*/\1/p' "$out")"
            record new_sessions_per_s "$(sed -n 's/.*opened first at the session url: \([0-9.]*\)\/s.*/\1/p' "$out")" ;;
        sat-*)
            record "${scenario#sat-}_round_trips_per_s" "$(sed -n 's/.*\] round trips\/s=\([0-9.]*\).*/\1/p' "$out")"
            record "${scenario#sat-}_cpu_us_per_round_trip" "$(sed -n 's/.*per round trip=\([0-9.]*\) us.*/\1/p' "$out")" ;;
        lat-*)
            record "${scenario#lat-}_ack_p50_ms" "$(sed -n 's/.*ack latency p50=\([0-9.]*\) .*/\1/p' "$out")"
            record "${scenario#lat-}_ack_p99_ms" "$(sed -n 's/.*ack latency .* p99=\([0-9.]*\) .*/\1/p' "$out")"
            record "${scenario#lat-}_ack_p999_ms" "$(sed -n 's/.*ack latency .* p99.9=\([0-9.]*\) ms.*/\1/p' "$out")"
            record "${scenario#lat-}_cpu_us_per_round_trip_at_rate" "$(sed -n 's/.*per round trip=\([0-9.]*\) us.*/\1/p' "$out")" ;;
    esac
}

# measure ROUND CONFIG SESSION_URL URL CPU_PIDS: the warm-up and the five scenarios (relayed:
# the three that do not use the lobby).
measure() {
    local round="$1" config="$2" session_url="$3" url="$4" cpu="$5" warmup_protocol=2 lobby=1
    if [ "$config" = relayed ]; then warmup_protocol=1; lobby=0; fi
    echo "[bench-cluster] round $round: $config ($session_url -> $url)"
    load "$round" "$config" warmup "$session_url" "$url" "$cpu" --sessions 1000 --protocol "$warmup_protocol" --rate max \
        --window 4 --warmup 2s --duration 4s
    load "$round" "$config" handshakes "$session_url" "$url" "$cpu" --sessions "$handshake_sessions" --protocol 2 --rate 0 \
        --warmup 0 --duration 0
    load "$round" "$config" sat-ping "$session_url" "$url" "$cpu" --sessions "$saturation_sessions" --protocol 1 --rate max \
        --window "$window" --warmup "$warmup" --duration "$duration"
    if [ "$lobby" = 1 ]; then
        load "$round" "$config" sat-lobby "$session_url" "$url" "$cpu" --sessions "$saturation_sessions" --protocol 2 --rate max \
            --window "$window" --warmup "$warmup" --duration "$duration"
        load "$round" "$config" lat-lobby "$session_url" "$url" "$cpu" --sessions "$latency_sessions" --ramp 2s --protocol 2 \
            --rate "$latency_rate" --warmup "$warmup" --duration "$latency_duration"
    fi
    load "$round" "$config" lat-ping "$session_url" "$url" "$cpu" --sessions "$latency_sessions" --ramp 2s --protocol 1 \
        --rate "$latency_rate" --warmup "$warmup" --duration "$latency_duration"
}

round_single() { # round
    case "$configs" in *" single "*) ;; *) return 0 ;; esac
    start_single "$1"
    local url="ws://127.0.0.1:$single_port/aphelion"
    measure "$1" single "$url" "$url" "$single_pid"
    stop_servers
}

# node_metric PORT NAME: a counter's value at the node on PORT (empty when it has none).
node_metric() {
    curl -s "http://127.0.0.1:$1/actuator/metrics/$2" | sed -n 's/.*"value":\([0-9.]*\).*/\1/p'
}

round_cluster() { # round order (e.g. "local moved relayed")
    local wanted="" config
    for config in $2; do
        case "$configs" in *" $config "*) wanted="$wanted $config" ;; esac
    done
    [ -n "$wanted" ] || return 0
    start_cluster "$1"
    local node1="ws://127.0.0.1:${node_ports[0]}/aphelion" node2="ws://127.0.0.1:${node_ports[1]}/aphelion"
    local cpu relays moves
    cpu="$(IFS=,; echo "${node_pids[*]},$redis_pid")"
    for config in $wanted; do
        relays="$(node_metric "${node_ports[1]}" aphelion.cluster.relays.opened)"
        moves="$(node_metric "${node_ports[1]}" aphelion.cluster.ownership.changes)"
        case "$config" in
            local) measure "$1" local "$node1" "$node1" "$cpu" ;;
            moved) measure "$1" moved "$node1" "$node2" "$cpu" ;;
            relayed) measure "$1" relayed "$node1" "$node2" "$cpu" ;;
        esac
        echo "[bench-cluster] round $1 $config: node 2 opened $(awk -v a="$(node_metric "${node_ports[1]}" aphelion.cluster.relays.opened)" -v b="$relays" 'BEGIN { print a - b }') relay links," \
            "counted $(awk -v a="$(node_metric "${node_ports[1]}" aphelion.cluster.ownership.changes)" -v b="$moves" 'BEGIN { print a - b }') ownership changes"
    done
    stop_servers
}

echo "[bench-cluster] cores: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg), java: $(java -version 2>&1 | head -n 1)"
echo "[bench-cluster] $rounds rounds; runs in $runs"
started=$(date +%s)
for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) -eq 1 ]; then
        round_single "$round"
        round_cluster "$round" "local moved relayed"
    else
        round_cluster "$round" "relayed moved local"
        round_single "$round"
    fi
    echo "[bench-cluster] round $round done at $(( $(date +%s) - started )) s, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done

# Summary: per figure and configuration, the median of the rounds [min-max]; then local, moved and
# relayed as ratios to single.
echo
echo "[bench-cluster] summary: median of $rounds rounds [min-max]"
awk -F'\t' '
    { key = $3 SUBSEP $2; n[key]++; v[key, n[key]] = $4; if (!($3 in seen)) { seen[$3] = 1; order[++figures] = $3 } }
    function median(key,    i, j, t, m, a) {
        m = n[key]
        for (i = 1; i <= m; i++) a[i] = v[key, i] + 0
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        lo = a[1]; hi = a[m]
        return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    function ratio(config) { return mid["single"] > 0 && mid[config] != "" ? sprintf("%.2f", mid[config] / mid["single"]) : "-" }
    function fmt(x) { return x >= 1000 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.3g", x) }
    function cell(figure, config,    key, med) {
        key = figure SUBSEP config
        if (!(key in n)) { mid[config] = ""; return "-" }
        med = median(key); mid[config] = med
        return fmt(med) " [" fmt(lo) "-" fmt(hi) "]"
    }
    END {
        printf "%-40s %-24s %-24s %-24s %-24s %-8s %-8s %s\n", "figure", "single", "local", "moved", "relayed", "local/1", "moved/1", "relay/1"
        for (f = 1; f <= figures; f++) {
            figure = order[f]
            s = cell(figure, "single"); l = cell(figure, "local"); m = cell(figure, "moved"); r = cell(figure, "relayed")
            printf "%-40s %-24s %-24s %-24s %-24s %-8s %-8s %s\n", figure, s, l, m, r, ratio("local"), ratio("moved"), ratio("relayed")
        }
    }' "$results"
echo
echo "[bench-cluster] every round: $results"
