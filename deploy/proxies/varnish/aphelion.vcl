# Varnish (7.x) in front of the Aphelion server.
#
# Websockets go through `pipe`: after the upgrade, Varnish copies bytes both ways and never looks
# at frames, so binary messages and close codes (4000-4004, 1002, 1009, ...) arrive unchanged.
# Everything else (the actuator, plain HTTP on other paths) is passed to the backend uncached.
#
# Timeouts: a piped connection is closed after `pipe_timeout` seconds without traffic in either
# direction (varnishd parameter, default 60 s: `-p pipe_timeout=60`). The server pings every
# connection every `aphelion.websocket.ping-interval` (20 s), so a live connection never idles
# that long; keep pipe_timeout at least 2-3 ping intervals. Each piped connection holds one
# Varnish worker thread for its whole life: size `thread_pool_max` (x `thread_pools`) for the
# number of concurrent players.
#
# X-Forwarded-For: varnishd itself appends the client address before vcl_recv runs. The server
# takes the client address from it only when Varnish's address is listed in
# `aphelion.websocket.trusted-proxies` (see docs/OPERATING.md).
#
# Run (unprivileged, foreground): scripts/varnish.sh BACKEND_PORT LISTEN_PORT, or
#   varnishd -F -a :80 -T none -f /abs/path/aphelion.vcl -n /tmp/varnish-aphelion -s malloc,32m
vcl 4.1;

backend aphelion {
    .host = "127.0.0.1";
    .port = "8080"; # APHELION_BACKEND_PORT (scripts/varnish.sh rewrites this line)
    .connect_timeout = 3s;
    .first_byte_timeout = 30s;
    .between_bytes_timeout = 30s;
}

sub vcl_recv {
    if (req.http.Upgrade ~ "(?i)^websocket$") {
        return (pipe);
    }
    # Nothing here is cacheable (health, metrics, errors for non-upgrade requests).
    return (pass);
}

sub vcl_pipe {
    # In pipe mode Varnish sends "Connection: close" to the backend unless told otherwise; without
    # these two lines the server sees no upgrade request and answers 400.
    if (req.http.Upgrade) {
        set bereq.http.Upgrade = req.http.Upgrade;
        set bereq.http.Connection = req.http.Connection;
    }
    return (pipe);
}
