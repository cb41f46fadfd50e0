package io.aphelion.server.session;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.aphelion.server.ack.AckTracker;
import io.aphelion.server.session.TransportMetrics;
import io.aphelion.server.support.Scheduler;
import io.aphelion.server.support.Scheduler.Cancellable;
import io.aphelion.server.session.FrameSink;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.Packets;
import io.aphelion.wire.ProtocolViolationException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One websocket of a client: an explicit state machine (awaiting init, open, closed), its
 * timers, and the writing half of its session's delivery.
 *
 * <p>Threads: frames arrive on a container thread, one at a time ({@link #onFrame}); timers fire
 * on the scheduler's thread; the application may send from any thread. {@link #state} is the one
 * guard at each entry. The delivery fields (marked "guarded by session lock") belong to the
 * session's lock. Writes are asynchronous with at most one frame in flight; whichever thread
 * finds the writer idle writes, so no thread ever waits for a slow client.
 *
 * <p>All violations of the protocol end here: a {@link ProtocolViolationException} thrown while
 * handling a frame becomes a close with its code in {@link #onFrame}.
 */
public final class ClientConnection {

    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);

    private static final byte[] NO_PAYLOAD = new byte[0];

    /** Where a connection is in its life. */
    public enum State {
        /** Upgraded; waiting for the 39-byte init packet (at most the init timeout). */
        AWAITING_INIT,
        /** Init accepted: exchanging packets with its session. */
        OPEN,
        /** Closed by either side; nothing more is read or written. */
        CLOSED
    }

    private final FrameSink sink;
    private final Handshake handshake;
    private final Scheduler scheduler;
    private final TransportSettings settings;
    private final TransportMetrics metrics;
    private final AckFlusher ackFlusher;

    private final AtomicReference<State> state = new AtomicReference<>(State.AWAITING_INIT);
    /** The session, set once when the init packet is accepted; null before. */
    private volatile Session session;
    /** The close code sent or received; 0 while not closed. */
    private volatile int closeCode;
    private volatile Cancellable initTimer = Cancellable.NONE;
    private volatile Cancellable keepalive = Cancellable.NONE;
    /**
     * When the unanswered ping was sent, which is also its payload (8 bytes, big endian); 0 when
     * every ping was answered. Only a pong with that payload answers it.
     */
    private volatile long pingSentNanos;
    /**
     * The ack timeout's timer while armed (see {@link #armAckTimeoutLocked}), NONE otherwise: set
     * under the session's lock, read without it only to cancel it when the connection closes.
     */
    private volatile Cancellable ackTimeout = Cancellable.NONE;

    // Delivery state, guarded by the session's lock.
    final AckTracker<Outbound> acks = new AckTracker<>();
    /** Messages routed here and not yet written, oldest first. */
    final ArrayDeque<Outbound> queue = new ArrayDeque<>(4);
    /** The init reply, written before anything else; null once written. */
    byte[] initReply;
    /** Whether a frame is being written (at most one at a time). */
    private boolean writing;
    /** A message in the frame being written that the ack tracker did not retain (its peer never acked). */
    private Outbound inFlightUntracked;
    /** Whether this connection is in the ack flusher's queue. */
    private boolean ackQueued;
    /** When the oldest packet we have not acked yet arrived. */
    private long ackOwedSinceNanos;

    // Inbound rate limit (GCRA form of a token bucket), reading thread only.
    /**
     * The time at which the bucket is full again; at most {@code burst} intervals ahead of now.
     * Starts at the far past (a full bucket), whatever the clock's origin.
     */
    private long rateFullAtNanos = Long.MIN_VALUE;

    public ClientConnection(FrameSink sink, Handshake handshake, Scheduler scheduler, TransportSettings settings,
            TransportMetrics metrics, AckFlusher ackFlusher) {
        this.sink = sink;
        this.handshake = handshake;
        this.scheduler = scheduler;
        this.settings = settings;
        this.metrics = metrics;
        this.ackFlusher = ackFlusher;
    }

    /** The websocket is open: starts the init timeout. Called once, by the transport. */
    public void opened() {
        opened(Duration.ZERO);
    }

    /**
     * The websocket is open, {@code sinceAccept} after its socket was accepted: the init timeout
     * runs from the accept, so what the HTTP upgrade took is counted. Called once, by the transport.
     */
    public void opened(Duration sinceAccept) {
        metrics.connectionOpened();
        Duration left = settings.initTimeout().minus(sinceAccept);
        initTimer = scheduler.schedule(this::initTimedOut, left.isNegative() ? Duration.ZERO : left);
    }

    /** A binary frame arrived (container thread). Any violation closes the connection with its code. */
    public void onFrame(ByteBuffer frame) {
        try {
            metrics.frameReceived(frame.remaining());
            switch (state.get()) {
                case AWAITING_INIT -> onInit(frame);
                case OPEN -> {
                    if (withinRate()) {
                        onPacket(frame);
                    }
                }
                case CLOSED -> { }
            }
        }
        catch (ProtocolViolationException ex) {
            close(ex.closeCode(), ex.getMessage());
        }
        catch (Throwable ex) {
            // Whatever a protocol or the game service throws (a NoClassDefFoundError too): logged,
            // and the connection closes through the one path that also detaches it from its session.
            Session session = this.session;
            log.error("Unexpected failure handling a frame from {} (session {})", remoteAddress(),
                    session == null ? "none yet" : session.id(), ex);
            close(CloseCodes.INTERNAL_ERROR, "Internal error");
        }
    }

    /**
     * A frame arrived that is not a packet of its own: a websocket ping (the engine answers it) or
     * one piece of a message sent in several frames (the message itself comes whole, later). It
     * counts against the rate limit like a packet, from the upgrade on; so do pongs.
     */
    public void countFrame() {
        if (state.get() != State.CLOSED) {
            withinRate();
        }
    }

    /**
     * Takes one frame from the rate limit's bucket; when it is empty, closes with 4104 and returns
     * false. Reading thread only.
     */
    private boolean withinRate() {
        TransportSettings.RateLimit limit = settings.rateLimit();
        if (!limit.enabled()) {
            return true;
        }
        long now = scheduler.nanoTime();
        long fullAt = Math.max(rateFullAtNanos, now) + limit.intervalNanos();
        if (fullAt - now > limit.windowNanos()) {
            close(CloseCodes.RATE_LIMITED, "More than " + limit.perSecond() + " frames per second (burst "
                    + limit.burst() + ")");
            return false;
        }
        rateFullAtNanos = fullAt;
        return true;
    }

    /** A text frame arrived: the transport is binary only. */
    public void onText() {
        close(CloseCodes.UNSUPPORTED_DATA, "Text frames are not supported");
    }

    private void onInit(ByteBuffer frame) {
        if (!state.compareAndSet(State.AWAITING_INIT, State.OPEN)) {
            return;
        }
        initTimer.cancel();
        InitPacket init;
        try {
            init = InitPacket.decode(frame);
            Session accepted = handshake.accept(init, this);
            metrics.handshake(init.protocol(), 0);
            log.debug("Connection from {} joined session {} (protocol {})", remoteAddress(), accepted.id(), accepted.protocol());
        }
        catch (ProtocolViolationException ex) {
            metrics.handshake(frame.remaining() >= 2 ? frame.getShort(frame.position()) : 0, ex.closeCode());
            throw ex;
        }
        keepalive = scheduler.scheduleAtFixedRate(this::keepaliveTick, settings.pingInterval());
        if (state.get() == State.CLOSED) {
            keepalive.cancel();
        }
        flush();
    }

    private void onPacket(ByteBuffer frame) {
        onPacket(session, session.listener(), frame);
    }

    private <M> void onPacket(Session session, SessionListener<M> protocol, ByteBuffer frame) {
        int ack = Packets.ack(frame);
        ByteBuffer payload = Packets.payload(frame);
        M message = payload.hasRemaining() ? protocol.decode(payload) : null;
        session.packetReceived(this, ack, message != null);
        if (message != null) {
            protocol.onMessage(session, this, message);
            owePendingAck(session);
        }
    }

    /** Counts a payload packet we must ack. Under the session's lock. */
    void payloadReceivedLocked() {
        if (!acks.ackPending()) {
            ackOwedSinceNanos = scheduler.nanoTime();
        }
        acks.received();
    }

    /**
     * After the protocol handled a packet: when its ack did not leave with an answer (the handler
     * answered later, or not at all), the ack flusher sends it within the ack delay. A handler
     * that answers at once (ping) costs no flusher work.
     */
    private void owePendingAck(Session session) {
        session.lock.lock();
        try {
            if (acks.ackPending() && !ackQueued && state.get() == State.OPEN) {
                ackQueued = true;
                ackFlusher.owe(this);
            }
        }
        finally {
            session.lock.unlock();
        }
    }

    /**
     * From the ack flusher: sends the owed ack alone when it has waited {@code delayNanos}.
     *
     * @return true when the connection leaves the flusher's queue (ack sent, settled, or closed)
     */
    boolean flushAckIfDue(long nowNanos, long delayNanos) {
        Session session = this.session;
        ByteBuffer frame;
        session.lock.lock();
        try {
            if (!acks.ackPending() || state.get() != State.OPEN) {
                ackQueued = false;
                return true;
            }
            if (nowNanos - ackOwedSinceNanos < delayNanos) {
                return false;
            }
            ackQueued = false;
            frame = claimFrameLocked();
        }
        finally {
            session.lock.unlock();
        }
        write(session, frame);
        return true;
    }

    /** Called by the session when the init packet was accepted (under the session's lock). */
    void attached(Session session, byte[] initReply) {
        this.session = session;
        this.initReply = initReply;
    }

    /**
     * A websocket pong arrived. It answers our ping only when it carries that ping's payload; an
     * unsolicited pong (RFC 6455 5.5.3) or a stale one proves nothing and is ignored.
     */
    public void onPong(ByteBuffer payload) {
        countFrame(); // a flood of (unsolicited) pongs counts like one of packets
        if (state.get() == State.CLOSED) {
            return;
        }
        long outstanding = pingSentNanos;
        if (outstanding != 0 && payload.remaining() == Long.BYTES && payload.getLong(payload.position()) == outstanding) {
            pingSentNanos = 0;
        }
    }

    /** The websocket closed (container thread): the peer's close frame with its code, or a drop (1006). */
    public void onClosed(int code) {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        closeCode = code;
        released(code, true);
    }

    /**
     * Closes the connection with a code and reason: the one way the server closes a websocket.
     * Harmless when already closed.
     */
    public void close(int code, String reason) {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        closeCode = code;
        if (code != CloseCodes.NORMAL && code != CloseCodes.GOING_AWAY) {
            log.debug("Closing connection from {} with {} ({}): {}", remoteAddress(), code, CloseCodes.name(code), reason);
        }
        sink.close(code, reason);
        released(code, false);
    }

    /** @param byClient whether the client ended it (its close frame, or a drop) rather than the server */
    private void released(int code, boolean byClient) {
        initTimer.cancel();
        keepalive.cancel();
        ackTimeout.cancel();
        metrics.connectionClosed(code);
        Session session = this.session;
        if (session != null) {
            session.connectionLost(this, code, byClient);
        }
    }

    private void initTimedOut() {
        if (state.get() == State.AWAITING_INIT) {
            metrics.handshake(0, CloseCodes.INIT_TIMEOUT);
            close(CloseCodes.INIT_TIMEOUT, "No init packet within " + settings.initTimeout().toMillis() + " ms");
        }
    }

    /** Every ping interval: pings, unless the previous ping is still unanswered (its pong timeout runs). */
    private void keepaliveTick() {
        if (state.get() != State.OPEN || pingSentNanos != 0) {
            return;
        }
        long sent = scheduler.nanoTime();
        if (sent == 0) {
            sent = 1; // 0 means "no ping outstanding"
        }
        pingSentNanos = sent;
        sink.sendPing(ByteBuffer.allocate(Long.BYTES).putLong(0, sent));
        long ping = sent;
        scheduler.schedule(() -> checkPong(ping), settings.pongTimeout());
    }

    /**
     * Arms the ack timeout for the oldest retained packet, unless it is armed already: it fires
     * when that packet has waited {@code ack-timeout}, whatever the ping interval. Under the
     * session's lock, for a session whose client acks.
     */
    void armAckTimeoutLocked() {
        long oldest = acks.oldestSentAtNanos();
        if (ackTimeout != Cancellable.NONE || oldest == AckTracker.NONE || state.get() != State.OPEN) {
            return;
        }
        long wait = oldest + settings.ackTimeout().toNanos() - scheduler.nanoTime();
        ackTimeout = scheduler.schedule(this::ackTimeoutFired, Duration.ofNanos(Math.max(0, wait)));
    }

    private void ackTimeoutFired() {
        Session session = this.session;
        boolean timedOut;
        session.lock.lock();
        try {
            ackTimeout = Cancellable.NONE;
            long oldest = acks.oldestSentAtNanos();
            timedOut = oldest != AckTracker.NONE && scheduler.nanoTime() - oldest >= settings.ackTimeout().toNanos();
            if (!timedOut) {
                armAckTimeoutLocked(); // for the packet that is oldest now, if any
            }
        }
        finally {
            session.lock.unlock();
        }
        if (timedOut) {
            close(CloseCodes.ACK_TIMEOUT, "Packets unacked for " + settings.ackTimeout().toMillis() + " ms");
        }
    }

    private void checkPong(long pingSent) {
        if (state.get() == State.OPEN && pingSentNanos == pingSent) {
            close(CloseCodes.PONG_TIMEOUT, "No pong within " + settings.pongTimeout().toMillis() + " ms");
        }
    }

    /**
     * Writes what is waiting: the init reply, queued messages (each carrying the owed ack), or an
     * ack-only packet. Any thread may call it; it returns at once when another write is in flight
     * (that write's completion continues). Never blocks on the socket.
     */
    public void flush() {
        Session session = this.session;
        if (session == null) {
            return;
        }
        ByteBuffer frame;
        session.lock.lock();
        try {
            frame = claimFrameLocked();
        }
        finally {
            session.lock.unlock();
        }
        write(session, frame);
    }

    /**
     * The first half of {@link #flush} for a caller that holds the session's lock already: takes
     * the writer and the next frame when the writer is idle. The caller passes the frame to
     * {@link #write} once it has released the lock.
     *
     * @return the frame to write, or null when a write is in flight, nothing waits, or the connection is not open
     */
    ByteBuffer claimFrameLocked() {
        if (writing || state.get() != State.OPEN) {
            return null;
        }
        ByteBuffer frame = nextFrameLocked();
        writing = frame != null;
        return frame;
    }

    /**
     * Writes frames while each completes at once; returns when one is pending (its completion
     * goes on from there) or nothing is left. The caller holds the writer ({@code writing}).
     */
    void write(Session session, ByteBuffer frame) {
        while (frame != null) {
            metrics.frameSent(frame.remaining());
            Write write = new Write(session);
            sink.sendBinary(frame, write);
            if (!write.completedDuringSend()) {
                return;
            }
            frame = write.next;
        }
    }

    private ByteBuffer nextFrameLocked() {
        if (initReply != null) {
            ByteBuffer reply = ByteBuffer.wrap(initReply);
            initReply = null;
            return reply;
        }
        Outbound message = queue.pollFirst();
        if (message != null) {
            ByteBuffer frame = Packets.encode(acks.takeAck(), message.payload);
            boolean retained = acks.sent(message, scheduler.nanoTime(), session.retainsLocked());
            if (!retained) {
                inFlightUntracked = message;
            }
            session.payloadSentLocked(this, retained);
            return frame;
        }
        if (acks.ackPending()) {
            return Packets.encode(acks.takeAck(), NO_PAYLOAD);
        }
        return null;
    }

    /**
     * Removes every message this connection still holds that must be delivered elsewhere, in
     * their original order: retained unacked ones, then queued ones. Volatile ones are released
     * instead, and so is a message being written to a client that never acked: it counts as
     * delivered once handed to the socket. Under the session's lock, once the connection is gone.
     */
    ArrayDeque<Outbound> takeUndeliveredLocked(Session session) {
        ArrayDeque<Outbound> undelivered = new ArrayDeque<>();
        for (Outbound message : acks.drain()) {
            keepIfReliable(session, undelivered, message);
        }
        releaseInFlightLocked(session);
        for (Outbound message : queue) {
            keepIfReliable(session, undelivered, message);
        }
        queue.clear();
        return undelivered;
    }

    /** Releases the untracked message of the frame that was being written, if any. Under the session's lock. */
    private void releaseInFlightLocked(Session session) {
        if (inFlightUntracked != null) {
            session.releaseLocked(inFlightUntracked);
            inFlightUntracked = null;
        }
    }

    private static void keepIfReliable(Session session, ArrayDeque<Outbound> kept, Outbound message) {
        if (message.reliable) {
            kept.addLast(message);
        }
        else {
            session.releaseLocked(message);
        }
    }

    /** Messages routed here and not acked: what routing weighs. Under the session's lock. */
    int loadLocked() {
        return queue.size() + acks.retained() + (inFlightUntracked != null ? 1 : 0);
    }

    public State state() {
        return state.get();
    }

    public boolean isOpen() {
        return state.get() == State.OPEN;
    }

    /** The close code sent or received, or 0 while not closed. */
    public int closeCode() {
        return closeCode;
    }

    /** The session, or null before the init packet was accepted. */
    public Session session() {
        return session;
    }

    public InetSocketAddress remoteAddress() {
        return sink.remoteAddress();
    }

    /** Smoothed round-trip time from acks in nanoseconds, or -1 before the first sample. */
    long smoothedRttNanosLocked() {
        return acks.smoothedRttNanos();
    }

    /**
     * Completion of one frame write. Whether it completes inside {@code sendBinary} or later on
     * another thread decides who continues the write loop, so completions never recurse.
     */
    private final class Write extends AtomicInteger implements FrameSink.WriteCallback {

        private static final int PENDING = 0;
        private static final int RETURNED = 1;
        private static final int COMPLETED = 2;

        private final Session session;
        /** The frame to write next, taken when this write succeeded; null when the writer is idle. */
        ByteBuffer next;

        Write(Session session) {
            this.session = session;
        }

        @Override
        public void succeeded() {
            ByteBuffer following;
            session.lock.lock();
            try {
                releaseInFlightLocked(session);
                following = state.get() == State.OPEN ? nextFrameLocked() : null;
                writing = following != null;
            }
            finally {
                session.lock.unlock();
            }
            next = following;
            if (!compareAndSet(PENDING, COMPLETED)) {
                write(session, following);
            }
        }

        @Override
        public void failed(Throwable cause) {
            // Closed before the writer is freed, so no other thread claims a dead socket's writer
            // and overwrites the message in flight (its buffer share would never be released).
            boolean first = state.getAndSet(State.CLOSED) != State.CLOSED;
            session.lock.lock();
            try {
                writing = false;
            }
            finally {
                session.lock.unlock();
            }
            log.debug("Write to {} failed: {}", remoteAddress(), cause.toString());
            // The socket broke under us: an abnormal loss (1006), not a close of ours.
            if (first) {
                closeCode = CloseCodes.ABNORMAL;
                sink.close(CloseCodes.GOING_AWAY, "Write failed");
                released(CloseCodes.ABNORMAL, true);
            }
        }

        /** After sendBinary returned: true when the write already completed, so the caller loops on. */
        boolean completedDuringSend() {
            return !compareAndSet(PENDING, RETURNED);
        }
    }
}
