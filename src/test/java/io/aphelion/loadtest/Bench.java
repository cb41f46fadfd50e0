package io.aphelion.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The side-by-side comparison behind {@code scripts/bench.sh}: the same scenarios against the
 * Aphelion server and the raw Netty baseline, one after the other (server first, then baseline,
 * scenario by scenario, so both see the same machine), then the ratios and the targets of
 * docs/BENCHMARKS.md. Ends with the lines {@code ratio_round_trips=}, {@code heap_bytes_per_idle_session=}
 * and {@code ack_latency_p99_ms=}.
 *
 * <p>The client is warmed up first, when {@code --client-warmup-url} names a third server (bench.sh
 * starts a throwaway Netty baseline for it): handshakes and pings against it JIT-compile the load
 * client's own code, so the server measured first does not pay for the client's cold start. Both
 * measured servers stay cold: their own JIT warm-up is part of their numbers.
 *
 * <ol>
 * <li>idle: {@code --idle-sessions} game sessions connected as fast as 256 handshakes in flight allow
 * (handshakes/s), then the heap per idle session from Actuator after a GC.</li>
 * <li>latency: {@code --latency-sessions} x {@code --latency-rate}/s, protocol 1 (ping) and protocol 2
 * (time_request): RTT and ack latency.</li>
 * <li>saturation: {@code --saturation-sessions}, closed loop with {@code --window} pings in flight each:
 * round trips/s.</li>
 * </ol>
 */
public final class Bench {

    private Bench() {
    }

    private static final class Target {
        String name;
        String url;
        String metrics;
        long pid;
    }

    public static void main(String[] args) throws Exception {
        Target server = new Target();
        server.name = "aphelion";
        Target baseline = new Target();
        baseline.name = "netty";
        int idleSessions = 15_000;
        int latencySessions = 1_000;
        double latencyRate = 10;
        int saturationSessions = 100;
        int window = 8;
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(3);
        Target clientWarmup = new Target();
        clientWarmup.name = "client-warmup";
        int clientWarmupSessions = 5_000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--server-url" -> server.url = value;
                case "--server-metrics" -> server.metrics = value;
                case "--server-pid" -> server.pid = Long.parseLong(value);
                case "--baseline-url" -> baseline.url = value;
                case "--baseline-metrics" -> baseline.metrics = value;
                case "--baseline-pid" -> baseline.pid = Long.parseLong(value);
                case "--idle-sessions" -> idleSessions = Integer.parseInt(value);
                case "--latency-sessions" -> latencySessions = Integer.parseInt(value);
                case "--latency-rate" -> latencyRate = Double.parseDouble(value);
                case "--saturation-sessions" -> saturationSessions = Integer.parseInt(value);
                case "--window" -> window = Integer.parseInt(value);
                case "--duration" -> duration = LoadOptions.duration(value);
                case "--warmup" -> warmup = LoadOptions.duration(value);
                case "--client-warmup-url" -> clientWarmup.url = value;
                case "--client-warmup-sessions" -> clientWarmupSessions = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        Target[] targets = { server, baseline };
        List<LoadRun.Result> results = new ArrayList<>();

        if (clientWarmup.url != null) {
            warmUpClient(clientWarmup, clientWarmupSessions);
        }

        LoadRun.Result[] idle = new LoadRun.Result[2];
        LoadRun.Result[] pingLatency = new LoadRun.Result[2];
        LoadRun.Result[] gameLatency = new LoadRun.Result[2];
        LoadRun.Result[] saturation = new LoadRun.Result[2];
        for (int t = 0; t < 2; t++) {
            LoadOptions options = base(targets[t], "idle");
            options.sessions = idleSessions;
            options.protocol = 2;
            options.rate = 0;
            options.duration = Duration.ofSeconds(2);
            options.metrics = targets[t].metrics;
            options.serverPid = targets[t].pid;
            idle[t] = run(options, results);
        }
        for (int protocol = 1; protocol <= 2; protocol++) {
            LoadRun.Result[] latency = protocol == 1 ? pingLatency : gameLatency;
            for (int t = 0; t < 2; t++) {
                LoadOptions options = base(targets[t], protocol == 1 ? "latency-ping" : "latency-game");
                options.sessions = latencySessions;
                options.protocol = protocol;
                options.rate = latencyRate;
                options.ramp = Duration.ofSeconds(2);
                options.warmup = warmup;
                options.duration = duration;
                latency[t] = run(options, results);
            }
        }
        for (int t = 0; t < 2; t++) {
            LoadOptions options = base(targets[t], "saturation");
            options.sessions = saturationSessions;
            options.protocol = 1;
            options.rate = -1;
            options.window = window;
            options.warmup = warmup;
            options.duration = duration;
            saturation[t] = run(options, results);
        }

        System.out.println();
        System.out.println("==== summary (aphelion vs netty baseline, same machine, same run) ====");
        row("handshakes/s (" + idleSessions + " as fast as possible)", idle[0].handshakesPerSecond(), idle[1].handshakesPerSecond(), "%.0f");
        row("handshakes/s, last third of the burst (past JIT warm-up)", idle[0].lastThirdHandshakesPerSecond(),
                idle[1].lastThirdHandshakesPerSecond(), "%.0f");
        row("heap bytes per idle session (" + idleSessions + ")", idle[0].heapBytesPerSession(), idle[1].heapBytesPerSession(), "%.0f");
        row("round trips/s at saturation (" + saturationSessions + " x window " + window + ")",
                saturation[0].roundTripsPerSecond(), saturation[1].roundTripsPerSecond(), "%.0f");
        row("server cpu us per handshake", idle[0].cpuMicrosPerHandshake(), idle[1].cpuMicrosPerHandshake(), "%.1f");
        row("server cpu us per round trip (saturation)", saturation[0].cpuMicrosPerRoundTrip(),
                saturation[1].cpuMicrosPerRoundTrip(), "%.1f");
        row("server cpu us per round trip (game, " + latencySessions + " x " + fmt(latencyRate) + "/s)",
                gameLatency[0].cpuMicrosPerRoundTrip(), Double.NaN, "%.1f");
        int cores = Runtime.getRuntime().availableProcessors();
        row("handshakes/s if the server had all " + cores + " cores (cpu bound)", cores * 1e6 / idle[0].cpuMicrosPerHandshake(),
                cores * 1e6 / idle[1].cpuMicrosPerHandshake(), "%.0f");
        row("round trips/s if the server had all " + cores + " cores (cpu bound)",
                cores * 1e6 / saturation[0].cpuMicrosPerRoundTrip(), cores * 1e6 / saturation[1].cpuMicrosPerRoundTrip(), "%.0f");
        row("saturation rtt p99 ms", saturation[0].rttP99(), saturation[1].rttP99(), "%.3f");
        String latencyLabel = latencySessions + " x " + fmt(latencyRate) + "/s";
        row("ping rtt p50 ms (" + latencyLabel + ")", pingLatency[0].rttP50(), pingLatency[1].rttP50(), "%.3f");
        row("ping rtt p99 ms (" + latencyLabel + ")", pingLatency[0].rttP99(), pingLatency[1].rttP99(), "%.3f");
        row("ping rtt p99.9 ms (" + latencyLabel + ")", pingLatency[0].rttP999(), pingLatency[1].rttP999(), "%.3f");
        row("ping ack latency p99 ms (" + latencyLabel + ")", pingLatency[0].ackP99(), pingLatency[1].ackP99(), "%.3f");
        row("game rtt p99 ms (" + latencyLabel + ", time_request)", gameLatency[0].rttP99(), Double.NaN, "%.3f");
        row("game ack latency p50 ms (" + latencyLabel + ")", gameLatency[0].ackP50(), gameLatency[1].ackP50(), "%.3f");
        row("game ack latency p99 ms (" + latencyLabel + ")", gameLatency[0].ackP99(), gameLatency[1].ackP99(), "%.3f");
        row("game ack latency p99.9 ms (" + latencyLabel + ")", gameLatency[0].ackP999(), gameLatency[1].ackP999(), "%.3f");
        for (LoadRun.Result result : results) {
            if (!result.closeCodes().isEmpty() || !result.errors().isEmpty() || result.opened() != result.sessions()) {
                System.out.printf("WARNING %s: opened %d/%d, closes %s, errors %s%n", result.label(), result.opened(),
                        result.sessions(), result.closeCodes(), result.errors());
            }
        }

        double ratioRoundTrips = saturation[0].roundTripsPerSecond() / saturation[1].roundTripsPerSecond();
        double ratioHandshakes = idle[0].handshakesPerSecond() / idle[1].handshakesPerSecond();
        double ackP99 = Math.max(gameLatency[0].ackP99(), pingLatency[0].ackP99());
        System.out.println();
        System.out.println("==== targets ====");
        target("round trips/s >= 0.8 x baseline", ratioRoundTrips >= 0.8, String.format(Locale.ROOT, "%.2f x", ratioRoundTrips));
        target("ack latency p99 <= 2 ms at " + latencyLabel, ackP99 <= 2.0, String.format(Locale.ROOT, "%.3f ms", ackP99));
        target("heap <= 16 KiB per idle session", idle[0].heapBytesPerSession() <= 16 * 1024,
                idle[0].heapBytesPerSession() + " bytes");
        target("handshakes >= 5000/s (whole burst)", idle[0].handshakesPerSecond() >= 5000,
                String.format(Locale.ROOT, "%.0f/s (%.2f x baseline)", idle[0].handshakesPerSecond(), ratioHandshakes));
        target("handshakes >= 5000/s (last third of the burst)", idle[0].lastThirdHandshakesPerSecond() >= 5000,
                String.format(Locale.ROOT, "%.0f/s (%.2f x baseline)", idle[0].lastThirdHandshakesPerSecond(),
                        idle[0].lastThirdHandshakesPerSecond() / idle[1].lastThirdHandshakesPerSecond()));
        System.out.println();
        System.out.printf(Locale.ROOT, "ratio_handshakes=%.2f%n", ratioHandshakes);
        System.out.printf(Locale.ROOT, "ratio_round_trips=%.2f%n", ratioRoundTrips);
        System.out.printf(Locale.ROOT, "heap_bytes_per_idle_session=%d%n", idle[0].heapBytesPerSession());
        System.out.printf(Locale.ROOT, "ack_latency_p99_ms=%.3f%n", ackP99);
        System.exit(0);
    }

    /** Handshakes, then a closed loop of pings, against a throwaway server: warms the client only (not reported). */
    private static void warmUpClient(Target target, int sessions) throws Exception {
        LoadOptions handshakes = base(target, "handshakes");
        handshakes.sessions = sessions;
        handshakes.protocol = 2;
        handshakes.rate = 0;
        handshakes.duration = Duration.ofSeconds(1);
        LoadOptions pings = base(target, "pings");
        pings.sessions = 100;
        pings.protocol = 1;
        pings.rate = -1;
        pings.window = 8;
        pings.warmup = Duration.ZERO;
        pings.duration = Duration.ofSeconds(5);
        for (LoadOptions options : new LoadOptions[] { handshakes, pings }) {
            System.out.printf("%n==== client warm-up: %s (not measured) ====%n", options.label);
            LoadRun.Result result = new LoadRun(options).run();
            System.out.printf("[client warm-up] %s: opened %d/%d%n", options.label, result.opened(), result.sessions());
            Thread.sleep(1000);
        }
    }

    private static LoadOptions base(Target target, String scenario) {
        if (target.url == null) {
            throw new IllegalArgumentException("--server-url and --baseline-url are required");
        }
        LoadOptions options = new LoadOptions();
        options.url = java.net.URI.create(target.url);
        options.label = scenario + "/" + target.name;
        options.serverPid = target.pid;
        return options;
    }

    private static LoadRun.Result run(LoadOptions options, List<LoadRun.Result> results) throws Exception {
        System.out.printf("%n==== %s ====%n", options.label);
        LoadRun.Result result = new LoadRun(options).run();
        System.out.print(result.report());
        results.add(result);
        Thread.sleep(1000);
        return result;
    }

    private static void row(String name, double server, double baseline, String format) {
        String ratio = Double.isNaN(server) || Double.isNaN(baseline) || baseline == 0 ? "-"
                : String.format(Locale.ROOT, "%.2f", server / baseline);
        System.out.printf(Locale.ROOT, "%-62s aphelion=%-12s netty=%-12s ratio=%s%n", name,
                Double.isNaN(server) ? "-" : String.format(Locale.ROOT, format, server),
                Double.isNaN(baseline) ? "-" : String.format(Locale.ROOT, format, baseline), ratio);
    }

    private static void target(String name, boolean met, String value) {
        System.out.printf("%-50s %-6s %s%n", name, met ? "MET" : "MISSED", value);
    }

    private static String fmt(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
