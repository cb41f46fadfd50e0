package io.aphelion.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The side-by-side comparison behind {@code scripts/bench.sh}: the same scenarios against the
 * Aphelion server and its peers, one after the other (server first, then each peer, scenario by
 * scenario, so all see the same machine), then the ratios and the targets of docs/BENCHMARKS.md.
 * The peers, each measured when its {@code --<peer>-url} is given:
 * <ul>
 * <li>{@code baseline} (named {@code netty}): the raw Netty baseline, Netty's defaults;</li>
 * <li>{@code tuned-netty}: the same server on epoll, pooled direct buffers, a flush per read batch;</li>
 * <li>{@code uws}: uWebSockets.js speaking the same framing (not a JVM: its memory per session is
 * its resident set, RSS, never compared with a heap as if it were one).</li>
 * </ul>
 * Ends with the lines {@code ratio_handshakes=}, {@code ratio_round_trips=} (server / Netty
 * baseline), {@code heap_bytes_per_idle_session=} and {@code ack_latency_p99_ms=} (the server's),
 * as before the peers existed, then for each peer {@code ratio_<figure>_vs_<peer>=}: server /
 * peer, for handshakes/s over the last third of the burst, round trips/s, CPU per handshake and
 * per round trip, ack p99 (the larger of the ping and game scenarios, as {@code ack_latency_p99_ms})
 * and heap per idle session; for uws, {@code uws_rss_bytes_per_idle_session=} and
 * {@code ratio_heap_to_rss_per_idle_session_vs_uws=}. A line whose figures were not measured is
 * left out.
 *
 * <p>The client is warmed up first, when {@code --client-warmup-url} names one more server (bench.sh
 * starts a throwaway Netty baseline for it): handshakes and pings against it JIT-compile the load
 * client's own code, so the server measured first does not pay for the client's cold start. The
 * measured servers stay cold: their own JIT warm-up is part of their numbers.
 *
 * <ol>
 * <li>idle: {@code --idle-sessions} game sessions connected as fast as 256 handshakes in flight allow
 * (handshakes/s), then the memory per idle session (heap from Actuator after a GC; RSS for uws).</li>
 * <li>latency: {@code --latency-sessions} x {@code --latency-rate}/s, protocol 1 (ping) and protocol 2
 * (time_request): RTT and ack latency.</li>
 * <li>saturation: {@code --saturation-sessions}, closed loop with {@code --window} pings in flight each:
 * round trips/s.</li>
 * </ol>
 */
public final class Bench {

    private Bench() {
    }

    /** One server under test and what each scenario measured on it. */
    private static final class Target {
        /** In run labels and the summary table. */
        final String name;
        /** In the summary lines ({@code ratio_..._vs_<key>=}). */
        final String key;
        /** Its command-line options: {@code <option>url}, {@code <option>metrics}, {@code <option>pid}. */
        final String option;
        /** Memory per session from the resident set (not a JVM), not from the heap. */
        final boolean rss;
        String url;
        String metrics;
        long pid;
        LoadRun.Result idle;
        LoadRun.Result pingLatency;
        LoadRun.Result gameLatency;
        LoadRun.Result saturation;

        Target(String name, String key, String option, boolean rss) {
            this.name = name;
            this.key = key;
            this.option = option;
            this.rss = rss;
        }

        /** The larger ack p99 of the two latency scenarios (what {@code ack_latency_p99_ms} reports). */
        double ackP99() {
            return Math.max(gameLatency.ackP99(), pingLatency.ackP99());
        }
    }

    public static void main(String[] args) throws Exception {
        Target server = new Target("aphelion", "server", "--server-", false);
        Target baseline = new Target("netty", "netty", "--baseline-", false);
        Target tuned = new Target("tuned-netty", "tuned_netty", "--tuned-netty-", false);
        Target uws = new Target("uws", "uws", "--uws-", true);
        Target[] measurable = { server, baseline, tuned, uws };
        int idleSessions = 15_000;
        int latencySessions = 1_000;
        double latencyRate = 10;
        int saturationSessions = 100;
        int window = 8;
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(3);
        Target clientWarmup = new Target("client-warmup", "client_warmup", "--client-warmup-", false);
        Target[] all = { server, baseline, tuned, uws, clientWarmup };
        int clientWarmupSessions = 5_000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            String value = args[i + 1];
            if (targetOption(all, args[i], value)) {
                continue;
            }
            switch (args[i]) {
                case "--idle-sessions" -> idleSessions = Integer.parseInt(value);
                case "--latency-sessions" -> latencySessions = Integer.parseInt(value);
                case "--latency-rate" -> latencyRate = Double.parseDouble(value);
                case "--saturation-sessions" -> saturationSessions = Integer.parseInt(value);
                case "--window" -> window = Integer.parseInt(value);
                case "--duration" -> duration = LoadOptions.duration(value);
                case "--warmup" -> warmup = LoadOptions.duration(value);
                case "--client-warmup-sessions" -> clientWarmupSessions = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        List<Target> targets = new ArrayList<>();
        for (Target target : measurable) {
            if (target.url != null) {
                targets.add(target);
            }
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("Nothing to measure: give --server-url and/or a peer's url"
                    + " (--baseline-url, --tuned-netty-url, --uws-url)");
        }
        List<LoadRun.Result> results = new ArrayList<>();

        if (clientWarmup.url != null) {
            warmUpClient(clientWarmup, clientWarmupSessions);
        }

        for (Target target : targets) {
            LoadOptions options = base(target, "idle");
            options.sessions = idleSessions;
            options.protocol = 2;
            options.rate = 0;
            options.duration = Duration.ofSeconds(2);
            options.metrics = target.metrics;
            options.rss = target.rss;
            target.idle = run(options, results);
        }
        for (int protocol = 1; protocol <= 2; protocol++) {
            for (Target target : targets) {
                LoadOptions options = base(target, protocol == 1 ? "latency-ping" : "latency-game");
                options.sessions = latencySessions;
                options.protocol = protocol;
                options.rate = latencyRate;
                options.ramp = Duration.ofSeconds(2);
                options.warmup = warmup;
                options.duration = duration;
                LoadRun.Result result = run(options, results);
                if (protocol == 1) {
                    target.pingLatency = result;
                }
                else {
                    target.gameLatency = result;
                }
            }
        }
        for (Target target : targets) {
            LoadOptions options = base(target, "saturation");
            options.sessions = saturationSessions;
            options.protocol = 1;
            options.rate = -1;
            options.window = window;
            options.warmup = warmup;
            options.duration = duration;
            target.saturation = run(options, results);
        }

        Target measuredServer = server.url != null ? server : null;
        List<Target> peers = targets.stream().filter(target -> target != server).toList();
        int cores = Runtime.getRuntime().availableProcessors();
        String latencyLabel = latencySessions + " x " + fmt(latencyRate) + "/s";
        Table table = new Table(measuredServer, targets, peers);
        System.out.println();
        System.out.println("==== summary (same machine, same run) ====");
        System.out.println(table.legend());
        table.row("handshakes/s (" + idleSessions + " as fast as possible)", t -> t.idle.handshakesPerSecond(), "%.0f");
        table.row("handshakes/s, last third of the burst (past JIT warm-up)", t -> t.idle.lastThirdHandshakesPerSecond(), "%.0f");
        table.row("heap bytes per idle session (" + idleSessions + ", JVMs)", t -> bytes(t.idle.heapBytesPerSession()), "%.0f");
        if (targets.contains(uws)) {
            table.row("RSS bytes per idle session (" + idleSessions + ", uws: resident set)",
                    t -> bytes(t.idle.rssBytesPerSession()), "%.0f");
        }
        table.row("round trips/s at saturation (" + saturationSessions + " x window " + window + ")",
                t -> t.saturation.roundTripsPerSecond(), "%.0f");
        table.row("server cpu us per handshake", t -> t.idle.cpuMicrosPerHandshake(), "%.1f");
        table.row("server cpu us per round trip (saturation)", t -> t.saturation.cpuMicrosPerRoundTrip(), "%.1f");
        table.row("server cpu us per round trip (ping, " + latencyLabel + ")", t -> t.pingLatency.cpuMicrosPerRoundTrip(), "%.1f");
        table.row("server cpu us per round trip (game, " + latencyLabel + ")", t -> t.gameLatency.cpuMicrosPerRoundTrip(), "%.1f");
        table.row("handshakes/s if the server had all " + cores + " cores (cpu bound)",
                t -> cores * 1e6 / t.idle.cpuMicrosPerHandshake(), "%.0f");
        table.row("round trips/s if the server had all " + cores + " cores (cpu bound)",
                t -> cores * 1e6 / t.saturation.cpuMicrosPerRoundTrip(), "%.0f");
        table.row("saturation rtt p99 ms", t -> t.saturation.rttP99(), "%.3f");
        table.row("ping rtt p50 ms (" + latencyLabel + ")", t -> t.pingLatency.rttP50(), "%.3f");
        table.row("ping rtt p99 ms (" + latencyLabel + ")", t -> t.pingLatency.rttP99(), "%.3f");
        table.row("ping rtt p99.9 ms (" + latencyLabel + ")", t -> t.pingLatency.rttP999(), "%.3f");
        table.row("ping ack latency p99 ms (" + latencyLabel + ")", t -> t.pingLatency.ackP99(), "%.3f");
        table.row("game rtt p99 ms (" + latencyLabel + ", time_request)", t -> t.gameLatency.rttP99(), "%.3f");
        table.row("game ack latency p50 ms (" + latencyLabel + ")", t -> t.gameLatency.ackP50(), "%.3f");
        table.row("game ack latency p99 ms (" + latencyLabel + ")", t -> t.gameLatency.ackP99(), "%.3f");
        table.row("game ack latency p99.9 ms (" + latencyLabel + ")", t -> t.gameLatency.ackP999(), "%.3f");
        for (LoadRun.Result result : results) {
            if (!result.closeCodes().isEmpty() || !result.errors().isEmpty() || result.opened() != result.sessions()) {
                System.out.printf("WARNING %s: opened %d/%d, closes %s, errors %s%n", result.label(), result.opened(),
                        result.sessions(), result.closeCodes(), result.errors());
            }
        }
        if (measuredServer == null) {
            System.exit(0);
        }

        boolean withBaseline = baseline.url != null;
        double ratioRoundTrips = withBaseline ? ratio(server, baseline, t -> t.saturation.roundTripsPerSecond()) : Double.NaN;
        double ratioHandshakes = withBaseline ? ratio(server, baseline, t -> t.idle.handshakesPerSecond()) : Double.NaN;
        double lastThirdRatio = withBaseline ? ratio(server, baseline, t -> t.idle.lastThirdHandshakesPerSecond()) : Double.NaN;
        double ackP99 = server.ackP99();
        System.out.println();
        System.out.println("==== targets ====");
        if (withBaseline) {
            target("round trips/s >= 0.8 x baseline", ratioRoundTrips >= 0.8, String.format(Locale.ROOT, "%.2f x", ratioRoundTrips));
        }
        target("ack latency p99 <= 2 ms at " + latencyLabel, ackP99 <= 2.0, String.format(Locale.ROOT, "%.3f ms", ackP99));
        target("heap <= 16 KiB per idle session", server.idle.heapBytesPerSession() <= 16 * 1024,
                server.idle.heapBytesPerSession() + " bytes");
        target("handshakes >= 5000/s (whole burst)", server.idle.handshakesPerSecond() >= 5000,
                handshakes(server.idle.handshakesPerSecond(), ratioHandshakes));
        target("handshakes >= 5000/s (last third of the burst)", server.idle.lastThirdHandshakesPerSecond() >= 5000,
                handshakes(server.idle.lastThirdHandshakesPerSecond(), lastThirdRatio));
        System.out.println();
        printSummaryLines(server, baseline, peers);
        System.exit(0);
    }

    /**
     * The lines scripts read: the four of before the peers (the ratios only with the Netty baseline
     * measured), then {@code ratio_<figure>_vs_<peer>=} for each peer; a line whose figures are unknown is left out.
     */
    private static void printSummaryLines(Target server, Target baseline, List<Target> peers) {
        if (baseline.url != null) {
            System.out.printf(Locale.ROOT, "ratio_handshakes=%.2f%n", ratio(server, baseline, t -> t.idle.handshakesPerSecond()));
            System.out.printf(Locale.ROOT, "ratio_round_trips=%.2f%n", ratio(server, baseline, t -> t.saturation.roundTripsPerSecond()));
        }
        System.out.printf(Locale.ROOT, "heap_bytes_per_idle_session=%d%n", server.idle.heapBytesPerSession());
        System.out.printf(Locale.ROOT, "ack_latency_p99_ms=%.3f%n", server.ackP99());
        for (Target peer : peers) {
            ratioLine("handshakes_last_third", server, peer, t -> t.idle.lastThirdHandshakesPerSecond());
            ratioLine("round_trips", server, peer, t -> t.saturation.roundTripsPerSecond());
            ratioLine("cpu_per_handshake", server, peer, t -> t.idle.cpuMicrosPerHandshake());
            ratioLine("cpu_per_round_trip", server, peer, t -> t.saturation.cpuMicrosPerRoundTrip());
            ratioLine("ack_p99", server, peer, Target::ackP99);
            if (peer.rss) {
                if (peer.idle.rssBytesPerSession() >= 0) {
                    System.out.printf(Locale.ROOT, "%s_rss_bytes_per_idle_session=%d%n", peer.key, peer.idle.rssBytesPerSession());
                }
                ratioLine("heap_to_rss_per_idle_session", server, peer, t -> bytes(t.rss ? t.idle.rssBytesPerSession()
                        : t.idle.heapBytesPerSession()));
            }
            else {
                ratioLine("heap_per_idle_session", server, peer, t -> bytes(t.idle.heapBytesPerSession()));
            }
        }
    }

    /** Sets {@code <option>url}, {@code <option>metrics} or {@code <option>pid} of the target it names; false if none. */
    private static boolean targetOption(Target[] targets, String name, String value) {
        for (Target target : targets) {
            String field = name.startsWith(target.option) ? name.substring(target.option.length()) : "";
            if (field.equals("url")) {
                target.url = value;
            }
            else if (field.equals("metrics")) {
                target.metrics = value;
            }
            else if (field.equals("pid")) {
                target.pid = Long.parseLong(value);
            }
            else {
                continue;
            }
            return true;
        }
        return false;
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

    /** {@code server / peer} of one figure; NaN when either is unknown or the peer's is 0. */
    private static double ratio(Target server, Target peer, ToDoubleFunction<Target> figure) {
        double mine = figure.applyAsDouble(server);
        double theirs = figure.applyAsDouble(peer);
        return Double.isNaN(mine) || Double.isNaN(theirs) || theirs == 0 ? Double.NaN : mine / theirs;
    }

    /** Prints {@code ratio_<name>_vs_<peer>=<server / peer>}, unless either figure is unknown. */
    private static void ratioLine(String name, Target server, Target peer, ToDoubleFunction<Target> figure) {
        double ratio = ratio(server, peer, figure);
        if (!Double.isNaN(ratio)) {
            System.out.printf(Locale.ROOT, "ratio_%s_vs_%s=%.2f%n", name, peer.key, ratio);
        }
    }

    /** A memory figure for the table: -1 (not measured) as NaN. */
    private static double bytes(long perSession) {
        return perSession < 0 ? Double.NaN : perSession;
    }

    /**
     * The summary table: one figure per row, the value for each server measured, then the server's
     * ratio to each peer ({@code ratio=} against the Netty baseline, as before the other peers).
     */
    private static final class Table {

        private final Target server;
        private final List<Target> targets;
        private final List<Target> peers;

        Table(Target server, List<Target> targets, List<Target> peers) {
            this.server = server;
            this.targets = targets;
            this.peers = server == null ? List.of() : peers;
        }

        String legend() {
            StringBuilder legend = new StringBuilder("values per server");
            for (Target peer : peers) {
                legend.append("; ").append(ratioName(peer)).append("=").append(server.name).append(" / ").append(peer.name);
            }
            return legend.toString();
        }

        void row(String name, ToDoubleFunction<Target> figure, String format) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-62s", name));
            for (Target target : targets) {
                double value = figure.applyAsDouble(target);
                line.append(String.format(Locale.ROOT, " %s=%-11s", target.name,
                        Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value)));
            }
            for (Target peer : peers) {
                double ratio = ratio(server, peer, figure);
                line.append(String.format(Locale.ROOT, " %s=%-6s", ratioName(peer),
                        Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2f", ratio)));
            }
            System.out.println(line.toString().stripTrailing());
        }

        private static String ratioName(Target peer) {
            return peer.key.equals("netty") ? "ratio" : "vs_" + peer.key;
        }
    }

    /** "5605/s (1.32 x baseline)", or without the ratio when the baseline was not measured. */
    private static String handshakes(double perSecond, double ratioToBaseline) {
        return Double.isNaN(ratioToBaseline) ? String.format(Locale.ROOT, "%.0f/s", perSecond)
                : String.format(Locale.ROOT, "%.0f/s (%.2f x baseline)", perSecond, ratioToBaseline);
    }

    private static void target(String name, boolean met, String value) {
        System.out.printf("%-50s %-6s %s%n", name, met ? "MET" : "MISSED", value);
    }

    private static String fmt(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
