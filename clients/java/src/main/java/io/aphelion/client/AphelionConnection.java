package io.aphelion.client;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.Packets;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;

/**
 * One client connection after its handshake: sends packets with the owed ack on them, acks
 * received packets within the ack delay when it has nothing to send, and tracks which of its
 * own packets the server has acked.
 *
 * <p>Thread-safe: send from any thread; sends go out in call order. Listener calls come one at a
 * time, on the HTTP client's threads.
 */
public final class AphelionConnection {

    /** What a connection reports. */
    public interface Listener {

        /** A packet with a payload arrived (the ack byte already applied). */
        void onMessage(AphelionConnection connection, ByteBuffer payload);

        /** The server acked one of our payload packets, {@code latencyNanos} after we sent it. */
        default void onAcked(AphelionConnection connection, long latencyNanos) {
        }

        /** The connection closed (after the handshake). */
        default void onClose(AphelionConnection connection, int code, String reason) {
        }
    }

    /** How a connection ended: the close code (1006 when it dropped) and reason. */
    public record CloseStatus(int code, String reason) {
    }

    private static final byte[] NO_PAYLOAD = new byte[0];

    private final SessionToken requested;
    private final Listener listener;
    /** Whether received packets are acked by the client itself. */
    private volatile boolean autoAck;
    private final Duration ackDelay;
    private final ScheduledExecutorService timer;
    private final CompletableFuture<AphelionConnection> handshake = new CompletableFuture<>();
    private final CompletableFuture<CloseStatus> closed = new CompletableFuture<>();
    private volatile WebSocket webSocket;
    private volatile SessionToken token;

    // Guarded by this.
    /** Payload packets received since our last ack. */
    private int owedAcks;
    private boolean ackScheduled;
    /** When each of our payload packets not yet acked was sent, oldest first. */
    private final ArrayDeque<Long> unackedSentAt = new ArrayDeque<>();
    /** The last send; the next one starts after it (the JDK allows one at a time). */
    private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);

    // Only the listener thread.
    private ByteBuffer partial;

    AphelionConnection(SessionToken requested, Listener listener, boolean autoAck, Duration ackDelay,
            ScheduledExecutorService timer) {
        this.requested = requested;
        this.listener = listener;
        this.autoAck = autoAck;
        this.ackDelay = ackDelay;
        this.timer = timer;
    }

    /** The session token the server gave this connection. */
    public SessionToken token() {
        return token;
    }

    /** Whether the server started a new session (no token asked, or the one asked was not resumed). */
    public boolean isNewSession() {
        return requested == null || !requested.equals(token);
    }

    /** Sends a payload packet (a serialized {@code C2S}) carrying the acks owed so far (0 while auto-ack is off). */
    public CompletableFuture<Void> send(byte[] payload) {
        synchronized (this) {
            int ack = autoAck ? takeAck() : 0;
            if (payload.length > 0) {
                unackedSentAt.addLast(System.nanoTime());
            }
            return enqueue(Packets.encode(ack, payload));
        }
    }

    /** Sends the owed acks now in ack-only packets (nothing when none is owed). */
    public CompletableFuture<Void> sendAck() {
        synchronized (this) {
            CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
            while (owedAcks > 0) {
                last = enqueue(Packets.encode(takeAck(), NO_PAYLOAD));
            }
            return last;
        }
    }

    /** Sends a frame as is, ack byte included (for testing servers with malformed packets). */
    public CompletableFuture<Void> sendRaw(byte[] frame) {
        synchronized (this) {
            return enqueue(ByteBuffer.wrap(frame));
        }
    }

    /** Sends a text frame (which the protocol forbids: for testing servers). */
    public CompletableFuture<Void> sendText(String text) {
        synchronized (this) {
            CompletableFuture<Void> sent = lastSend.handle((ignored, failure) -> null)
                    .thenCompose(ignored -> webSocket.sendText(text, true))
                    .thenApply(ignored -> null);
            lastSend = sent;
            return sent;
        }
    }

    /** Closes with a code and reason, after the packets already sent. */
    public CompletableFuture<CloseStatus> close(int code, String reason) {
        synchronized (this) {
            lastSend = lastSend.handle((ignored, failure) -> null)
                    .thenCompose(ignored -> webSocket.sendClose(code, reason));
        }
        return closed;
    }

    /** Drops the TCP connection without a close frame, as a lost network would. */
    public void abort() {
        webSocket.abort();
        finish(1006, "aborted by the client");
    }

    /** Completes when the connection is closed, with how it closed. */
    public CompletableFuture<CloseStatus> closeFuture() {
        return closed;
    }

    public boolean isOpen() {
        return !closed.isDone();
    }

    /**
     * Turns automatic acks on or off for this connection (off: it behaves like a client that stops
     * acking, e.g. a stalled tab; packets received meanwhile are acked once it is on again).
     */
    public void autoAck(boolean on) {
        autoAck = on;
    }

    /** Our payload packets the server has not acked yet. */
    public synchronized int unacked() {
        return unackedSentAt.size();
    }

    private int takeAck() {
        int ack = Math.min(owedAcks, WireFormat.MAX_ACK);
        owedAcks -= ack;
        return ack;
    }

    private CompletableFuture<Void> enqueue(ByteBuffer frame) {
        CompletableFuture<Void> sent = lastSend.handle((ignored, failure) -> null)
                .thenCompose(ignored -> webSocket.sendBinary(frame, true))
                .thenApply(ignored -> null);
        lastSend = sent;
        return sent;
    }

    CompletableFuture<AphelionConnection> handshake() {
        return handshake;
    }

    WebSocket.Listener listener() {
        return new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                if (partial == null && last) {
                    received(data);
                }
                else {
                    ByteBuffer joined = ByteBuffer.allocate((partial == null ? 0 : partial.remaining()) + data.remaining());
                    if (partial != null) {
                        joined.put(partial);
                    }
                    joined.put(data).flip();
                    partial = last ? null : joined;
                    if (last) {
                        received(joined);
                    }
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                ws.sendClose(CloseCodes.UNSUPPORTED_DATA, "Text frames are not supported");
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
                finish(statusCode, reason);
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                finish(1006, String.valueOf(error));
            }
        };
    }

    void opened(WebSocket webSocket, byte[] initPacket) {
        this.webSocket = webSocket;
        synchronized (this) {
            enqueue(ByteBuffer.wrap(initPacket));
        }
    }

    void handshakeFailed(Throwable failure) {
        handshake.completeExceptionally(failure);
        closed.complete(new CloseStatus(1006, String.valueOf(failure)));
    }

    void handshakeTimedOut(Duration timeout) {
        if (handshake.completeExceptionally(new TimeoutException("No init reply within " + timeout))) {
            WebSocket ws = webSocket;
            if (ws != null) {
                ws.abort();
            }
            closed.complete(new CloseStatus(1006, "init reply timeout"));
        }
    }

    private void received(ByteBuffer frame) {
        if (!handshake.isDone()) {
            try {
                token = InitPacket.decodeReply(frame);
            }
            catch (RuntimeException ex) {
                close(CloseCodes.MALFORMED_INIT, "Init reply must be 32 bytes");
                handshake.completeExceptionally(ex);
                return;
            }
            handshake.complete(this);
            return;
        }
        int ack = frame.get(frame.position()) & 0xFF;
        if (ack > 0 && !acked(ack)) {
            return;
        }
        ByteBuffer payload = Packets.payload(frame);
        if (!payload.hasRemaining()) {
            return;
        }
        boolean schedule;
        synchronized (this) {
            owedAcks++;
            schedule = autoAck && !ackScheduled;
            ackScheduled |= schedule;
        }
        if (schedule) {
            timer.schedule(this::ackTimerFired, ackDelay.toNanos(), TimeUnit.NANOSECONDS);
        }
        listener.onMessage(this, payload);
    }

    private boolean acked(int ack) {
        long now = System.nanoTime();
        long[] latencies = new long[ack];
        synchronized (this) {
            if (ack > unackedSentAt.size()) {
                close(CloseCodes.PROTOCOL_ERROR, "Ack " + ack + " exceeds the " + unackedSentAt.size() + " unacked packets");
                return false;
            }
            for (int i = 0; i < ack; i++) {
                latencies[i] = now - unackedSentAt.removeFirst();
            }
        }
        for (long latency : latencies) {
            listener.onAcked(this, latency);
        }
        return true;
    }

    private void ackTimerFired() {
        synchronized (this) {
            ackScheduled = false;
            if (isOpen() && autoAck) {
                sendAck();
            }
        }
    }

    private void finish(int code, String reason) {
        if (closed.complete(new CloseStatus(code, reason))) {
            if (!handshake.isDone()) {
                handshake.completeExceptionally(new AphelionHandshakeException(code, reason));
            }
            else {
                listener.onClose(this, code, reason);
            }
        }
    }
}
