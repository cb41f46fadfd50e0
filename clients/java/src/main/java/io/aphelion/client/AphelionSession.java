package io.aphelion.client;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.SessionToken;

/**
 * A player session held open by the client: {@code connections} websockets sharing one token,
 * each reconnected with the token after it drops, with exponential backoff. Messages go out on
 * the connection with the fewest unacked packets, as the server routes its own.
 *
 * <p>When a reconnect finds the session gone (it expired, or the server restarted), the server
 * starts a new one: this session takes the new token, closes its connections of the old one with
 * 4005 as the protocol says, opens the others on the new one, and tells the listener through
 * {@link Listener#onNewSession()} so the game can authenticate again. No reconnect follows a close
 * that another attempt cannot fix: a refused handshake (4000-4003), a full session (4100), the
 * server ending the session (1000, 4101), a protocol error of this client (1002, 1003, 1007,
 * 1009), or {@link #close()}. A connection closed by the rate limit (4104) is reconnected after the
 * backoff: the server keeps the session.
 *
 * <p>Thread-safe. Listener calls come on the HTTP client's threads.
 */
public final class AphelionSession implements AutoCloseable {

    /** What a session reports. */
    public interface Listener {

        /** A payload arrived on any of the session's connections. */
        void onMessage(ByteBuffer payload);

        /** A dropped connection was replaced by one of the same session (the server kept its state). */
        default void onReconnected() {
        }

        /** The server started a new session (the old one was gone): authenticate again. */
        default void onNewSession() {
        }

        /** The session stopped for good: {@code code} and {@code reason} of the close that ended it. */
        default void onClosed(int code, String reason) {
        }
    }

    /** Closes after which reconnecting cannot help. */
    private static final Set<Integer> FINAL_CLOSES = Set.of(CloseCodes.NORMAL, CloseCodes.PROTOCOL_ERROR,
            CloseCodes.UNSUPPORTED_DATA, CloseCodes.INVALID_PAYLOAD, CloseCodes.MESSAGE_TOO_BIG,
            CloseCodes.INVALID_PROTOCOL, CloseCodes.VERSION_TOO_OLD, CloseCodes.VERSION_TOO_NEW,
            CloseCodes.MALFORMED_INIT, CloseCodes.SESSION_FULL, CloseCodes.SEND_BUFFER_OVERFLOW);

    private final AphelionClient client;
    private final Listener listener;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final ScheduledExecutorService timer;
    private final List<AphelionConnection> connections = new CopyOnWriteArrayList<>();
    private volatile SessionToken token;
    private volatile boolean closed;

    private AphelionSession(AphelionClient client, Listener listener, Duration minBackoff, Duration maxBackoff) {
        this.client = client;
        this.listener = listener;
        this.minBackoff = minBackoff;
        this.maxBackoff = maxBackoff;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "aphelion-session-reconnect");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Opens a new session with {@code connections} connections.
     *
     * @param minBackoff the first reconnect delay; it doubles up to {@code maxBackoff}, with jitter
     */
    public static CompletableFuture<AphelionSession> open(AphelionClient client, int connections, Listener listener,
            Duration minBackoff, Duration maxBackoff) {
        if (connections < 1) {
            throw new IllegalArgumentException("A session needs at least one connection");
        }
        AphelionSession session = new AphelionSession(client, listener, minBackoff, maxBackoff);
        return client.connect(session.new Tracker())
                .thenCompose(first -> {
                    session.token = first.token();
                    session.connections.add(first);
                    CompletableFuture<?>[] more = new CompletableFuture<?>[connections - 1];
                    for (int i = 0; i < more.length; i++) {
                        more[i] = session.connectOne().thenAccept(session.connections::add);
                    }
                    return CompletableFuture.allOf(more).thenApply(ignored -> session);
                });
    }

    /** Sends a payload packet on the connection with the fewest unacked packets. */
    public CompletableFuture<Void> send(byte[] payload) {
        AphelionConnection best = null;
        for (AphelionConnection connection : connections) {
            if (connection.isOpen() && (best == null || connection.unacked() < best.unacked())) {
                best = connection;
            }
        }
        if (best == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("No open connection; reconnecting"));
        }
        return best.send(payload);
    }

    /** The session's token (it changes when the server had to start a new session). */
    public SessionToken token() {
        return token;
    }

    /** Connections open now. */
    public int openConnections() {
        return (int) connections.stream().filter(AphelionConnection::isOpen).count();
    }

    /** The connections now (for tests and tools). */
    public List<AphelionConnection> connections() {
        return List.copyOf(connections);
    }

    /** Closes every connection with 1000 and stops reconnecting. */
    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        for (AphelionConnection connection : connections) {
            if (connection.isOpen()) {
                connection.close(CloseCodes.NORMAL, "Session closed by the client");
            }
        }
    }

    private CompletableFuture<AphelionConnection> connectOne() {
        return client.connect(token, new Tracker());
    }

    private void lost(AphelionConnection connection, int code, String reason) {
        connections.remove(connection);
        if (closed || code == CloseCodes.NEW_SESSION_CLOSING_OLD) {
            return;
        }
        if (FINAL_CLOSES.contains(code)) {
            listener.onClosed(code, reason);
            return;
        }
        reconnect(minBackoff);
    }

    private void reconnect(Duration delay) {
        if (closed) {
            return;
        }
        long jittered = delay.toMillis() / 2 + ThreadLocalRandom.current().nextLong(delay.toMillis() / 2 + 1);
        timer.schedule(() -> connectOne().whenComplete((connection, failure) -> {
            if (failure != null) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                if (cause instanceof AphelionHandshakeException refused && FINAL_CLOSES.contains(refused.closeCode())) {
                    listener.onClosed(refused.closeCode(), refused.getMessage());
                    return;
                }
                Duration next = delay.multipliedBy(2);
                reconnect(next.compareTo(maxBackoff) > 0 ? maxBackoff : next);
                return;
            }
            if (closed) {
                connection.close(CloseCodes.NORMAL, "Session closed by the client");
                return;
            }
            connections.add(connection);
            if (connection.isNewSession()) {
                replaced(connection);
            }
            else {
                listener.onReconnected();
            }
        }), jittered, TimeUnit.MILLISECONDS);
    }

    /** The server started a new session: move every connection onto it. */
    private void replaced(AphelionConnection fresh) {
        SessionToken old = token;
        token = fresh.token();
        for (AphelionConnection connection : connections) {
            if (connection != fresh && connection.token().equals(old)) {
                connections.remove(connection);
                connection.close(CloseCodes.NEW_SESSION_CLOSING_OLD, "The server started a new session");
                reconnect(minBackoff);
            }
        }
        listener.onNewSession();
    }

    /** Forwards a connection's events to the session. */
    private final class Tracker implements AphelionConnection.Listener {

        @Override
        public void onMessage(AphelionConnection connection, ByteBuffer payload) {
            listener.onMessage(payload);
        }

        @Override
        public void onClose(AphelionConnection connection, int code, String reason) {
            lost(connection, code, reason);
        }
    }
}
