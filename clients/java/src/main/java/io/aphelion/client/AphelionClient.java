package io.aphelion.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;

/**
 * Opens Aphelion connections to one server endpoint, for one protocol and version.
 *
 * <p>Thread-safe; share one client for many connections (they share one HTTP client and one
 * timer thread). {@link #close()} stops the timer thread; open connections are not closed.
 */
public final class AphelionClient implements AutoCloseable {

    private final URI uri;
    private final int protocol;
    private final int version;
    private final boolean autoAck;
    private final Duration ackDelay;
    private final Duration initTimeout;
    private final Map<String, String> headers;
    private final HttpClient http;
    private final ScheduledExecutorService timer;

    private AphelionClient(Builder builder) {
        this.uri = builder.uri;
        this.protocol = builder.protocol;
        this.version = builder.version;
        this.autoAck = builder.autoAck;
        this.ackDelay = builder.ackDelay;
        this.initTimeout = builder.initTimeout;
        this.headers = Map.copyOf(builder.headers);
        this.http = builder.http != null ? builder.http
                : HttpClient.newBuilder().connectTimeout(builder.connectTimeout).build();
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "aphelion-client-timer");
            thread.setDaemon(true);
            return thread;
        });
    }

    public static Builder builder(URI uri) {
        return new Builder(uri);
    }

    /** Opens a connection that starts a new session. */
    public CompletableFuture<AphelionConnection> connect(AphelionConnection.Listener listener) {
        return connect((SessionToken) null, listener);
    }

    /**
     * Opens a connection for the session of {@code token}: another connection of a live session,
     * or a resume after a drop. When the token is unknown or expired the server starts a new
     * session: {@link AphelionConnection#isNewSession()} tells.
     */
    public CompletableFuture<AphelionConnection> connect(SessionToken token, AphelionConnection.Listener listener) {
        return connect(new InitPacket(protocol, version, token).encode(), token, listener);
    }

    /** Opens a connection and sends {@code initPacket} as is (for testing servers with malformed packets). */
    public CompletableFuture<AphelionConnection> connect(byte[] initPacket, SessionToken requested,
            AphelionConnection.Listener listener) {
        AphelionConnection connection = new AphelionConnection(requested, listener, autoAck, ackDelay, timer);
        var builder = http.newWebSocketBuilder();
        headers.forEach(builder::header);
        builder.buildAsync(uri, connection.listener()).whenComplete((webSocket, failure) -> {
            if (failure != null) {
                connection.handshakeFailed(failure);
            }
            else {
                connection.opened(webSocket, initPacket);
            }
        });
        CompletableFuture<AphelionConnection> handshake = connection.handshake();
        timer.schedule(() -> connection.handshakeTimedOut(initTimeout), initTimeout.toNanos(), TimeUnit.NANOSECONDS);
        return handshake;
    }

    public URI uri() {
        return uri;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** Options of a client; defaults in the field comments. */
    public static final class Builder {

        private final URI uri;
        /** Default 2: game. */
        private int protocol = 2;
        /** Default 0: bypass the version check. */
        private int version = 0;
        /** Default true: ack as the protocol asks. */
        private boolean autoAck = true;
        /** Default 5 ms: how long an owed ack waits for a packet to ride on. */
        private Duration ackDelay = Duration.ofMillis(5);
        /** Default 10 s, as the server's. */
        private Duration initTimeout = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private final Map<String, String> headers = new LinkedHashMap<>();
        private HttpClient http;

        private Builder(URI uri) {
            this.uri = uri;
        }

        public Builder protocol(int protocol) {
            this.protocol = protocol;
            return this;
        }

        public Builder version(int version) {
            this.version = version;
            return this;
        }

        /** Whether the client acks received packets by itself (false: a 2015-style client that always sends 0). */
        public Builder autoAck(boolean autoAck) {
            this.autoAck = autoAck;
            return this;
        }

        public Builder ackDelay(Duration ackDelay) {
            this.ackDelay = ackDelay;
            return this;
        }

        public Builder initTimeout(Duration initTimeout) {
            this.initTimeout = initTimeout;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        /** A header for the upgrade request (e.g. Origin). */
        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** The HTTP client to open websockets with (default: a new one). */
        public Builder httpClient(HttpClient http) {
            this.http = http;
            return this;
        }

        public AphelionClient build() {
            return new AphelionClient(this);
        }
    }
}
