package io.aphelion.loadtest;

import java.net.URI;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * What one soak run does ({@link Soak}). Mutable, filled from the command line ({@link #parse})
 * or by a test; read-only once the run starts.
 */
final class SoakOptions {

    static final String USAGE = """
            Options (durations: 500ms, 10s, 2m; plain numbers are seconds):
              --url URL                 websocket endpoint (default ws://127.0.0.1:8080/aphelion); loopback only
              --duration D              how long clients chat, drop and resume (default 60s)
              --sessions N              acking game clients (protocol 2) that authenticate and chat (default 40)
              --two-connections F       share of them holding two connections (default 0.25)
              --chat-rate R             chat messages per second per client (default 2)
              --drops-per-minute R      connection drops (TCP abort, no close frame) per client per minute (default 4)
              --quick-drops F           share of resumed connections dropped again 0-30 ms after their token (default 0.3)
              --reconnect-delay D       longest wait before resuming after a drop; the shortest is 250ms (default 2s)
              --slow-readers N          authenticated clients that stop reading (default 2)
              --flooders N              ping clients (protocol 1) sending as fast as they can (default 1)
              --drain D                 after the run, longest wait for every message to arrive (default 20s)
              --metrics URL             server base URL for Actuator (heap, connections), e.g. http://127.0.0.1:8080
              --seed N                  random seed (default: a new one, printed)
              --threads N               client event-loop threads (default: cores)
              --quiet                   no progress lines
            Exits 0 when nothing was lost, nothing came out of order, no session ended unexpectedly
            and there was no client error; 1 otherwise.
            """;

    URI url = URI.create("ws://127.0.0.1:8080/aphelion");
    Duration duration = Duration.ofSeconds(60);
    int sessions = 40;
    double twoConnections = 0.25;
    double chatRate = 2;
    double dropsPerMinute = 4;
    double quickDrops = 0.3;
    /** Shortest wait before a resume: long enough for the server to see the old connection's RST first. */
    Duration minReconnectDelay = Duration.ofMillis(250);
    Duration reconnectDelay = Duration.ofSeconds(2);
    int slowReaders = 2;
    int flooders = 1;
    Duration drain = Duration.ofSeconds(20);
    String metrics;
    long seed = new SplittableRandom().nextLong();
    int threads = Runtime.getRuntime().availableProcessors();
    boolean quiet;
    /** The ack delay of the clients: how long an owed ack waits for a packet to ride on. */
    Duration ackDelay = Duration.ofMillis(5);

    static SoakOptions parse(String[] args) {
        SoakOptions options = new SoakOptions();
        LoadOptions.forEachOption(args, () -> options.quiet = true, (name, value) -> {
            switch (name) {
                case "--url" -> options.url = URI.create(value);
                case "--duration" -> options.duration = LoadOptions.duration(value);
                case "--sessions" -> options.sessions = Integer.parseInt(value);
                case "--two-connections" -> options.twoConnections = Double.parseDouble(value);
                case "--chat-rate" -> options.chatRate = Double.parseDouble(value);
                case "--drops-per-minute" -> options.dropsPerMinute = Double.parseDouble(value);
                case "--quick-drops" -> options.quickDrops = Double.parseDouble(value);
                case "--reconnect-delay" -> options.reconnectDelay = LoadOptions.duration(value);
                case "--slow-readers" -> options.slowReaders = Integer.parseInt(value);
                case "--flooders" -> options.flooders = Integer.parseInt(value);
                case "--drain" -> options.drain = LoadOptions.duration(value);
                case "--metrics" -> options.metrics = value;
                case "--seed" -> options.seed = Long.parseLong(value);
                case "--threads" -> options.threads = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("Unknown option " + name);
            }
        });
        options.validate();
        return options;
    }

    void validate() {
        require(sessions >= 1, "--sessions must be at least 1");
        require(chatRate > 0, "--chat-rate must be above 0");
        require(twoConnections >= 0 && twoConnections <= 1, "--two-connections must be 0..1");
        require(quickDrops >= 0 && quickDrops <= 1, "--quick-drops must be 0..1");
        require(dropsPerMinute >= 0, "--drops-per-minute must be >= 0");
        require(reconnectDelay.compareTo(minReconnectDelay) >= 0,
                "--reconnect-delay must be at least " + minReconnectDelay.toMillis() + "ms");
        String host = url.getHost();
        require(host != null && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]")),
                "--url must be a loopback address (127.0.0.0/8, localhost, [::1]): " + url);
    }

    private static void require(boolean holds, String message) {
        if (!holds) {
            throw new IllegalArgumentException(message);
        }
    }
}
