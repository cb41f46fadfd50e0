#!/usr/bin/env bash
# Runs a local Aphelion cluster on loopback, in the foreground: one Redis (scripts/redis.sh),
# three nodes from the runnable jar (cluster mode on, one shared secret) and HAProxy in front of
# them (scripts/haproxy.sh: round robin, readiness checks). Prints where clients connect and each
# node's port; Ctrl-C (or SIGTERM) stops everything it started. For trying cluster mode by hand
# (several clients, killing a node with `kill -9 <pid>`); the tests use LocalCluster instead.
# (Started in the background by a non-interactive shell, SIGINT is ignored: send SIGTERM.)
#
#   scripts/cluster.sh [extra node args, e.g. --aphelion.session.expiry=2m]
#
# Environment (defaults in brackets):
#   APHELION_BALANCER_PORT [8080]  HAProxy: clients connect to ws://127.0.0.1:PORT/aphelion
#   APHELION_NODE_PORTS    ["8081 8082 8083"]  one node per port
#   APHELION_REDIS_PORT    [6390]
#   APHELION_CLUSTER_SECRET [generated for this run]
#   APHELION_CLUSTER_LOGS  [target/cluster-run]  one log file per process
#   APHELION_HAPROXY_CHECK_INTER [500ms]  how often HAProxy probes each node's readiness
# Builds the jar (./mvnw -B -q -DskipTests package) when target/ has none.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

balancer_port="${APHELION_BALANCER_PORT:-8080}"
read -r -a node_ports <<< "${APHELION_NODE_PORTS:-8081 8082 8083}"
redis_port="${APHELION_REDIS_PORT:-6390}"
secret="${APHELION_CLUSTER_SECRET:-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')}"
logs="${APHELION_CLUSTER_LOGS:-target/cluster-run}"
export APHELION_HAPROXY_CHECK_INTER="${APHELION_HAPROXY_CHECK_INTER:-500ms}"
for port in "$balancer_port" "$redis_port" "${node_ports[@]}"; do
    case "$port" in
        ''|*[!0-9]*) echo "ports must be numbers: $port" >&2; exit 2 ;;
    esac
done

jar() { ls target/aphelion-server-*-exec.jar 2>/dev/null | head -n 1; }
if [ -z "$(jar)" ]; then
    echo "[cluster.sh] building the jar" >&2
    ./mvnw -B -q -DskipTests package
fi
jar="$(jar)"
mkdir -p "$logs"

pids=()
stopping=false
stop_all() {
    [ "$stopping" = true ] && return
    stopping=true
    echo >&2
    echo "[cluster.sh] stopping" >&2
    # Reverse order: the balancer first, then the nodes (SIGTERM: they drain), Redis last.
    local i
    for (( i=${#pids[@]}-1; i>=0; i-- )); do
        kill -TERM "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

wait_for() { # what, pid, probe command...
    local what="$1" pid="$2"
    shift 2
    for _ in $(seq 1 600); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "[cluster.sh] $what exited; see $logs" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "[cluster.sh] $what not up after 120 s; see $logs" >&2
    exit 1
}
ready() { curl -fsS -o /dev/null "http://127.0.0.1:$1/actuator/health/readiness"; }
accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

scripts/redis.sh "$redis_port" > "$logs/redis.log" 2>&1 &
pids+=($!)
wait_for "redis-server" "${pids[-1]}" accepts "$redis_port"

node_pids=()
for i in "${!node_ports[@]}"; do
    port="${node_ports[i]}"
    java -Xmx256m -jar "$jar" \
        --aphelion.cluster.enabled=true \
        --aphelion.cluster.secret="$secret" \
        --aphelion.cluster.advertise-address="127.0.0.1:$port" \
        --spring.data.redis.host=127.0.0.1 \
        --spring.data.redis.port="$redis_port" \
        --server.port="$port" \
        --server.address=127.0.0.1 \
        "$@" > "$logs/node$((i + 1)).log" 2>&1 &
    pids+=($!)
    node_pids+=($!)
done
for i in "${!node_ports[@]}"; do
    wait_for "node$((i + 1))" "${node_pids[i]}" ready "${node_ports[i]}"
done

scripts/haproxy.sh "$balancer_port" "${node_ports[@]}" > "$logs/haproxy.log" 2>&1 &
pids+=($!)
wait_for "haproxy" "${pids[-1]}" ready "$balancer_port"

cat >&2 <<INFO
[cluster.sh] cluster up (logs in $logs/)
  clients:  ws://127.0.0.1:$balancer_port/aphelion   (HAProxy, round robin)
INFO
for i in "${!node_ports[@]}"; do
    printf '  node%d:    ws://127.0.0.1:%s/aphelion   pid %s\n' "$((i + 1))" "${node_ports[i]}" "${node_pids[i]}" >&2
done
printf '  redis:    127.0.0.1:%s\n  secret:   %s\n[cluster.sh] Ctrl-C stops everything\n' "$redis_port" "$secret" >&2

# Stay in the foreground until a signal, or until the balancer or Redis dies.
while kill -0 "${pids[0]}" 2>/dev/null && kill -0 "${pids[-1]}" 2>/dev/null; do
    sleep 1 &
    wait $! || true
done
echo "[cluster.sh] redis-server or haproxy exited; see $logs" >&2
exit 1
