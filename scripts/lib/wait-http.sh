# Sourced by the benchmark scripts: waits until a server answers an HTTP URL with 2xx.
#
#   wait_http URL PID LOG [SECONDS]   # default 60 s; exits 1, with the log's tail, when PID dies or time runs out
wait_http() {
    local url="$1" pid="$2" log="$3" seconds="${4:-60}" tag
    tag="[$(basename "$0" .sh)]"
    for _ in $(seq 1 $((seconds * 2))); do
        if curl -sf -o /dev/null "$url"; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then echo "$tag process died, log:" >&2; tail -n 30 "$log" >&2; exit 1; fi
        sleep 0.5
    done
    echo "$tag $url not ready after $seconds s, log:" >&2; tail -n 30 "$log" >&2; exit 1
}
