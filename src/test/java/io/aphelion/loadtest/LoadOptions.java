package io.aphelion.loadtest;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.BiConsumer;

/**
 * What one load run does. Mutable, filled from the command line ({@link #parse}) or by
 * {@link Bench}; read-only once the run starts.
 */
final class LoadOptions {

    static final String USAGE = """
            Options (durations: 500ms, 10s, 2m; plain numbers are seconds):
              --url URL                 websocket endpoint (default ws://127.0.0.1:8080/aphelion)
              --sessions N              sessions to open, one connection each (default 100)
              --session-url URL         open each session here first (init without token, keep the token, close
                                        4005: the session lives on), then connect to --url with that token; with
                                        two cluster nodes every measured connection is relayed to this one
                                        (default: none, new sessions on --url)
              --session-connection close|keep
                                        with --session-url: close that first connection with 4005 (a cluster node
                                        then moves the session to the --url node at the resume), or keep it open
                                        and idle, answering pings and acking what it gets, so the session keeps a
                                        connection on its owner and the --url connection is relayed (default close)
              --protocol 1|2            1: ping, 2: game with time_request (default 1)
              --ramp D                  spread the connects over D; 0: as fast as --connect-concurrency allows (default 0)
              --connect-concurrency N   handshakes in flight at once (default 256)
              --rate R                  requests per second per session; 0: idle; max: closed loop (default 1)
              --window N                closed loop (--rate max): requests in flight per session (default 1)
              --warmup D                sending before the measured window starts (default 2s)
              --duration D              measured window (default 10s)
              --ack-delay D             how long an owed ack waits for a request to ride on (default 5ms)
              --threads N               client event-loop threads (default: cores)
              --source-addresses N      spread connects over 127.0.1.1..N (loopback targets only; 0: OS default) (default 8)
              --metrics URL             server base URL for Actuator heap (e.g. http://127.0.0.1:8080); none: skip
              --server-pid PID          server process for jcmd GC.run before each heap reading, and for its cpu time
              --cpu-pids PID,PID        processes whose cpu time, summed, gives the cpu per handshake and per round
                                        trip (e.g. every node of a cluster and Redis) (default: --server-pid)
              --memory heap|rss         memory per session: heap (Actuator at --metrics) or the resident set of
                                        --server-pid (/proc/PID/status; for servers that are not JVMs; with
                                        --metrics, GET <metrics>/gc first: the uWebSockets.js peer's GC) (default heap)
              --quiet                   no progress lines
            """;

    URI url = URI.create("ws://127.0.0.1:8080/aphelion");
    /** Where each session is opened before its measured connection to {@link #url}; null: new sessions on the url. */
    URI sessionUrl;
    /** Whether the connection that opened each session at {@link #sessionUrl} stays open for the whole run. */
    boolean keepSessionConnection;
    int sessions = 100;
    int protocol = 1;
    Duration ramp = Duration.ZERO;
    int connectConcurrency = 256;
    /** Requests per second per session; 0 idle; negative: closed loop. */
    double rate = 1;
    int window = 1;
    Duration warmup = Duration.ofSeconds(2);
    Duration duration = Duration.ofSeconds(10);
    Duration ackDelay = Duration.ofMillis(5);
    int threads = Runtime.getRuntime().availableProcessors();
    int sourceAddresses = 8;
    String metrics;
    long serverPid;
    /** Processes whose summed cpu time is reported; null: {@link #serverPid} alone. */
    long[] cpuPids;
    /** Memory per session from the server's resident set rather than its heap ({@link ResidentMemory}). */
    boolean rss;
    boolean quiet;
    /** Label in progress and result lines. */
    String label = "load";

    static LoadOptions parse(String[] args) {
        LoadOptions options = new LoadOptions();
        forEachOption(args, () -> options.quiet = true, (name, value) -> {
            switch (name) {
                case "--url" -> options.url = URI.create(value);
                case "--session-url" -> options.sessionUrl = URI.create(value);
                case "--session-connection" -> options.keepSessionConnection = switch (value) {
                    case "close" -> false;
                    case "keep" -> true;
                    default -> throw new IllegalArgumentException("--session-connection must be close or keep");
                };
                case "--sessions" -> options.sessions = Integer.parseInt(value);
                case "--protocol" -> options.protocol = Integer.parseInt(value);
                case "--ramp" -> options.ramp = duration(value);
                case "--connect-concurrency" -> options.connectConcurrency = Integer.parseInt(value);
                case "--rate" -> options.rate = value.equalsIgnoreCase("max") ? -1 : Double.parseDouble(value);
                case "--window" -> options.window = Integer.parseInt(value);
                case "--warmup" -> options.warmup = duration(value);
                case "--duration" -> options.duration = duration(value);
                case "--ack-delay" -> options.ackDelay = duration(value);
                case "--threads" -> options.threads = Integer.parseInt(value);
                case "--source-addresses" -> options.sourceAddresses = Integer.parseInt(value);
                case "--metrics" -> options.metrics = value;
                case "--server-pid" -> options.serverPid = Long.parseLong(value);
                case "--cpu-pids" -> options.cpuPids = pids(value);
                case "--memory" -> options.rss = switch (value) {
                    case "heap" -> false;
                    case "rss" -> true;
                    default -> throw new IllegalArgumentException("--memory must be heap or rss");
                };
                case "--label" -> options.label = value;
                default -> throw new IllegalArgumentException("Unknown option " + name);
            }
        });
        if (options.protocol != 1 && options.protocol != 2) {
            throw new IllegalArgumentException("--protocol must be 1 or 2");
        }
        if (options.keepSessionConnection && options.sessionUrl == null) {
            throw new IllegalArgumentException("--session-connection keep needs --session-url");
        }
        if (options.rss && options.serverPid <= 0) {
            throw new IllegalArgumentException("--memory rss needs --server-pid");
        }
        return options;
    }

    /**
     * Walks command-line options of the load tools: {@code --quiet} alone, {@code --help}/{@code -h}
     * (an IllegalArgumentException with no message: print the usage), every other one with its value.
     */
    static void forEachOption(String[] args, Runnable quiet, BiConsumer<String, String> option) {
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (name.equals("--quiet")) {
                quiet.run();
                continue;
            }
            if (name.equals("--help") || name.equals("-h")) {
                throw new IllegalArgumentException("");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("Missing value for " + name);
            }
            option.accept(name, args[++i]);
        }
    }

    /** A comma-separated list of process ids, each positive. */
    static long[] pids(String text) {
        long[] pids = Arrays.stream(text.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
        if (pids.length == 0 || Arrays.stream(pids).anyMatch(pid -> pid <= 0)) {
            throw new IllegalArgumentException("--cpu-pids must list process ids, e.g. 123,456");
        }
        return pids;
    }

    /** The processes whose cpu time is reported: {@link #cpuPids}, else {@link #serverPid} (none when 0). */
    long[] cpuPids() {
        return cpuPids != null ? cpuPids : new long[] { serverPid };
    }

    static Duration duration(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
        }
        if (value.endsWith("s")) {
            return Duration.ofMillis((long) (Double.parseDouble(value.substring(0, value.length() - 1)) * 1000));
        }
        if (value.endsWith("m")) {
            return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)) * 60);
        }
        return Duration.ofMillis((long) (Double.parseDouble(value) * 1000));
    }

    boolean closedLoop() {
        return rate < 0;
    }
}
