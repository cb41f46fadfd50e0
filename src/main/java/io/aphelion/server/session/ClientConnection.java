package io.aphelion.server.session;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

import io.aphelion.server.ack.AckTracker;
import io.aphelion.server.support.Scheduler;
import io.aphelion.server.support.Scheduler.Cancellable;
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
 * guard at each entry. The delivery fields (marked "guarded by the session's lock") belong to
 * the session's lock, which only the session package takes.
 *
 * <p><b>Keepalive.</b> Once open, the connection is in the {@link Keepalive} wheel, whose sweep
 * (scheduler thread) pings it and closes it with 4103; the wheel's two fields here are the
 * sweep's alone. The sweep and the reading thread share {@link #pingSentNanos}: only the sweep
 * sets it, to a ping's time and only while it is 0; only a pong with that payload clears it, on
 * the reading thread. A pong racing the sweep at the pong timeout's deadline either counts or
 * comes too late; both are right at the deadline. A connection that closes stays in its slot,
 * closed, until the sweep drops it there.
 *
 * <p><b>Delivery</b> has one owner: the session routes a message into {@link #queue} and wakes
 * the sink; the sink, when its socket can take bytes, {@link #pull pulls} from here. Each pull
 * takes the init reply, then queued messages with the owed ack on the first of them, or an ack
 * alone once it has waited {@code ack-delay}, and encodes them once, straight into the sink's
 * output buffer. No thread ever waits for a slow client: a socket that does not write does not
 * pull, and the messages wait here, counted against the session's send buffer.
 *
 * <p><b>Acks.</b> Decided at the pull, the one place that knows whether a packet leaves: an owed
 * ack that finds a message to ride on leaves with it; one that finds none goes alone when it is
 * due (the protocol said it is done, {@link #handled}, or it has waited {@code ack-delay}), else
 * it joins the {@link AckFlusher}, which wakes the sink when it is due. On the native engine the
 * pull runs once at the end of each batch of received bytes, after the protocol answered what it
 * read, so a ping's answer always carries its ack.
 *
 * <p>All violations of the protocol end here: a {@link ProtocolViolationException} thrown while
 * handling a frame becomes a close with its code in {@link #onFrame}.
 */
public final class ClientConnection implements FrameSink.Source {

    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);

    private static final byte[] NO_PAYLOAD = new byte[0];

    /** Bytes of an ack-only packet: the ack byte. */
    private static final int ACK_ONLY_LENGTH = 1;

    /** Packets a client may send before its init packet is answered, when that answer waits for the cluster. */
    static final int MAX_FRAMES_DURING_INIT = 64;

    /** Frames from the owner node a relayed connection holds for its sink at most (then the relay stops reading). */
    public static final int RELAY_WINDOW = 64;

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
    private final InitPacketInterceptor handshake;
    private final Scheduler scheduler;
    private final TransportSettings settings;
    private final TransportMetrics metrics;
    private final AckFlusher ackFlusher;
    private final Keepalive keepalive;

    private final AtomicReference<State> state = new AtomicReference<>(State.AWAITING_INIT);
    /** The session, set once when the init packet is accepted; null before. */
    private volatile PlayerSession session;
    /** The close code sent or received; 0 while not closed. */
    private volatile int closeCode;
    /** Whether the client closed it (its close frame, or a drop), once closed. */
    private volatile boolean closedByClient;
    /**
     * Frames that came while the init packet was being accepted off the reading thread (cluster
     * mode), oldest first; null when no accept is under way. Guarded by this connection's monitor.
     */
    private volatile ArrayDeque<ByteBuffer> framesDuringInit;
    private volatile Cancellable initTimer = Cancellable.NONE;
    /**
     * When the unanswered ping was sent, which is also its payload (8 bytes, big endian); 0 when
     * every ping was answered. Only a pong with that payload answers it. Set by the keepalive's
     * sweep only, cleared by the reading thread only (see the class comment).
     */
    private volatile long pingSentNanos;

    // Keepalive wheel state: the Keepalive sweep's (published to it by register's CAS).
    /** The next connection in the same keepalive slot (or in its arrivals); null at the end. */
    ClientConnection keepaliveNext;
    /** When the next ping is due (sent only if the previous one was answered by then). */
    long nextPingNanos;
    /**
     * The ack timeout's timer while armed (see {@link #armAckTimeoutLocked}), NONE otherwise: set
     * under the session's lock, read without it only to cancel it when the connection closes.
     */
    private volatile Cancellable ackTimeout = Cancellable.NONE;

    // Delivery state, guarded by the session's lock.
    final AckTracker<Outbound> acks = new AckTracker<>();
    /** Messages routed here and not yet pulled by the sink, oldest first. */
    final ArrayDeque<Outbound> queue = new ArrayDeque<>(4);
    /** The init reply, written before anything else; null once written. */
    byte[] initReply;
    /** The protocol is done with every packet owed an ack and sent nothing: the ack goes alone at the next pull. */
    private boolean ackDueNow;
    /** Whether this connection is in the ack flusher's queue. */
    private boolean ackQueued;
    /** When the oldest packet we have not acked yet arrived. */
    private long ackOwedSinceNanos;

    /**
     * Cluster mode: the relay to the node that owns this connection's session, when it lives
     * there; null for a connection of a session of this node's. Set once, at the init packet.
     */
    private volatile Relay relay;
    /** A relayed connection's frames from the owner, oldest first (the init reply first); guarded by itself. */
    private ArrayDeque<byte[]> relayedFrames;

    // Inbound rate limit (GCRA form of a token bucket), reading thread only.
    /**
     * The time at which the bucket is full again; at most {@code burst} intervals ahead of now.
     * Starts at the far past (a full bucket), whatever the clock's origin.
     */
    private long rateFullAtNanos = Long.MIN_VALUE;

    public ClientConnection(FrameSink sink, InitPacketInterceptor handshake, Scheduler scheduler, TransportSettings settings,
            TransportMetrics metrics, AckFlusher ackFlusher, Keepalive keepalive) {
        this.sink = sink;
        this.handshake = handshake;
        this.scheduler = scheduler;
        this.settings = settings;
        this.metrics = metrics;
        this.ackFlusher = ackFlusher;
        this.keepalive = keepalive;
        sink.bind(this);
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
                    if (withinRate() && !waitsForInit(frame)) {
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
            PlayerSession session = this.session;
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
        initTimer = Cancellable.NONE; // a cancelled timer's handle still holds its task: let both go
        InitPacket init;
        try {
            init = InitPacket.decode(frame);
        }
        catch (ProtocolViolationException ex) {
            metrics.handshake(frame.remaining() >= 2 ? frame.getShort(frame.position()) : 0, ex.closeCode());
            throw ex;
        }
        Executor elsewhere = handshake.executorFor(init, this);
        if (elsewhere == null) {
            accept(init);
            return;
        }
        // Accepting it waits for the cluster's directory: not on this thread, which reads other
        // sockets too. What the client sends meanwhile waits, in order, for the accept.
        framesDuringInit = new ArrayDeque<>();
        try {
            elsewhere.execute(() -> acceptElsewhere(init));
        }
        catch (RejectedExecutionException ex) {
            framesDuringInit = null;
            metrics.handshake(init.protocol(), CloseCodes.CLUSTER_UNAVAILABLE);
            throw new ProtocolViolationException(CloseCodes.CLUSTER_UNAVAILABLE, "Too many init packets waiting for the cluster");
        }
    }

    /** The init packet's accept, off the reading thread; then the frames that came meanwhile. */
    private void acceptElsewhere(InitPacket init) {
        try {
            accept(init);
        }
        catch (ProtocolViolationException ex) {
            close(ex.closeCode(), ex.getMessage());
        }
        catch (Throwable ex) {
            log.error("Unexpected failure accepting the init packet from {}", remoteAddress(), ex);
            close(CloseCodes.INTERNAL_ERROR, "Internal error");
        }
        if (state.get() == State.CLOSED) {
            // Closed while it was being accepted: what the accept attached learns it now (each is harmless twice).
            PlayerSession attached = session;
            if (attached != null) {
                attached.connectionLost(this, closeCode, closedByClient);
            }
            Relay opened = relay;
            if (opened != null) {
                opened.clientClosed(closeCode, closedByClient);
            }
        }
        while (true) {
            ByteBuffer next;
            synchronized (this) {
                next = framesDuringInit.pollFirst();
                if (next == null) {
                    framesDuringInit = null; // from now on the reading thread handles frames itself
                    return;
                }
            }
            handleWaited(next);
        }
    }

    /** A frame that waited for the init packet's accept: handled as {@link #onFrame} would have. */
    private void handleWaited(ByteBuffer frame) {
        try {
            if (state.get() == State.OPEN) {
                onPacket(frame);
            }
        }
        catch (ProtocolViolationException ex) {
            close(ex.closeCode(), ex.getMessage());
        }
        catch (Throwable ex) {
            log.error("Unexpected failure handling a frame from {}", remoteAddress(), ex);
            close(CloseCodes.INTERNAL_ERROR, "Internal error");
        }
    }

    /**
     * Keeps a frame for after the init packet's accept, if that is still under way (reading
     * thread): a copy, as the frame is a view of the input. At most {@value #MAX_FRAMES_DURING_INIT}.
     *
     * @return false when no accept is under way: the frame is handled at once
     */
    private boolean waitsForInit(ByteBuffer frame) {
        if (framesDuringInit == null) {
            return false;
        }
        synchronized (this) {
            ArrayDeque<ByteBuffer> waiting = framesDuringInit;
            if (waiting == null) {
                return false;
            }
            if (waiting.size() >= MAX_FRAMES_DURING_INIT) {
                throw new ProtocolViolationException(CloseCodes.POLICY_VIOLATION,
                        "More than " + MAX_FRAMES_DURING_INIT + " packets before the init packet was answered");
            }
            ByteBuffer copy = ByteBuffer.allocate(frame.remaining());
            copy.put(frame.duplicate()).flip();
            waiting.addLast(copy);
            return true;
        }
    }

    /** Checks the init packet and attaches this connection (or opens its relay); then the init reply can go. */
    private void accept(InitPacket init) {
        try {
            PlayerSession accepted = handshake.accept(init, this);
            metrics.handshake(init.protocol(), 0);
            if (accepted != null) {
                log.debug("Connection from {} joined session {} (protocol {})", remoteAddress(), accepted.id(), accepted.protocol());
            }
            else {
                log.debug("Connection from {} relayed to the node that owns its session", remoteAddress());
            }
        }
        catch (ProtocolViolationException ex) {
            metrics.handshake(init.protocol(), ex.closeCode());
            throw ex;
        }
        if (state.get() == State.OPEN) {
            keepalive.register(this); // one that closes from now on is dropped at its first slot
        }
        sink.wake(); // the init reply, and whatever waited for the session's connection
    }

    private void onPacket(ByteBuffer frame) {
        Relay relay = this.relay;
        if (relay != null) {
            relay.forward(frame);
            return;
        }
        onPacket(session, session.listener(), frame);
    }

    private <M> void onPacket(PlayerSession session, SessionListener<M> protocol, ByteBuffer frame) {
        int ack = Packets.ack(frame);
        ByteBuffer payload = Packets.payload(frame);
        M message = payload.hasRemaining() ? protocol.decode(payload) : null;
        session.packetReceived(this, ack, message != null);
        if (message != null) {
            protocol.onMessage(session, this, message);
            // The ack is owed now: the pull this wakes decides whether it rides on an answer or
            // waits for one in the flusher. On a batch of received bytes, one pull after all of them.
            sink.wake();
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
     * From the ack flusher: once the owed ack is due, wakes the sink, whose pull then sends it
     * alone (unless a message takes it first).
     *
     * @return true when the connection leaves the flusher's queue (ack due, settled, or closed)
     */
    boolean flushAckIfDue(long nowNanos) {
        PlayerSession session = this.session;
        session.lock.lock();
        try {
            if (!acks.ackPending() || state.get() != State.OPEN) {
                ackQueued = false;
                return true;
            }
            if (!ackDueLocked(nowNanos)) {
                return false;
            }
            ackQueued = false;
        }
        finally {
            session.lock.unlock();
        }
        sink.wake();
        return true;
    }

    /**
     * Whether the owed ack may go alone now: the protocol said it is done ({@link #handled}), or
     * it has waited {@code ack-delay}. The one rule for the pull and the flusher. Under the session's lock.
     */
    private boolean ackDueLocked(long nowNanos) {
        return ackDueNow || nowNanos - ackOwedSinceNanos >= ackFlusher.delayNanos();
    }

    /**
     * Cluster mode: this connection's session lives on another node, which {@code relay} leads
     * to; from now on the client's frames go there as they are and the owner's come back through
     * {@link #relayed}. Called once, by the registry, while the init packet is handled.
     */
    void relayTo(Relay relay) {
        synchronized (this) {
            if (relayedFrames == null) {
                relayedFrames = new ArrayDeque<>();
            }
        }
        this.relay = relay;
        sink.wake(); // the owner's first frames may have come in while the relay was being set
    }

    /** Whether this websocket reached this node through another node's relay (cluster mode). */
    public boolean relayedIn() {
        return sink.relayedBy() != null;
    }

    /**
     * Cluster mode: a frame from the node that owns the session, for the client, written as it is
     * (the owner's first frame is the init reply). The relay hands over at most
     * {@link #RELAY_WINDOW} that the sink has not pulled yet. Any thread.
     */
    public void relayed(byte[] frame) {
        if (state.get() != State.OPEN) {
            return;
        }
        synchronized (this) {
            if (relayedFrames == null) {
                relayedFrames = new ArrayDeque<>(); // the owner answered before the relay was set
            }
            relayedFrames.addLast(frame);
        }
        sink.wake();
    }

    /** Called by the session when the init packet was accepted (under the session's lock). */
    void attached(PlayerSession session, byte[] initReply) {
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
        if (state.get() == State.CLOSED) {
            return;
        }
        sink.flush(); // while still open: what was queued (the init reply, answers) goes ahead of the close frame
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
        closedByClient = byClient;
        initTimer.cancel();
        ackTimeout.cancel();
        metrics.connectionClosed(code);
        Relay relay = this.relay;
        if (relay != null) {
            relay.clientClosed(code, byClient);
        }
        PlayerSession session = this.session;
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

    /** When the unanswered ping was sent, or 0 when every ping was answered. */
    long pingSentNanos() {
        return pingSentNanos;
    }

    /**
     * From the keepalive's sweep, while no ping is unanswered: sends a websocket ping carrying
     * {@code sentNanos} (non-zero) in {@code payload}, which the sink copies.
     */
    void ping(long sentNanos, ByteBuffer payload) {
        pingSentNanos = sentNanos;
        sink.sendPing(payload);
    }

    /** From the keepalive's sweep: the ping went unanswered for the pong timeout. */
    void pongTimedOut(long pongTimeoutMillis) {
        close(CloseCodes.PONG_TIMEOUT, "No pong within " + pongTimeoutMillis + " ms");
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
        PlayerSession session = this.session;
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

    /**
     * The sink's pull: writes the init reply, then queued messages while they fit, the first one
     * carrying the owed ack; with no message, the owed ack alone once it is due. An ack still owed
     * afterwards joins the {@link AckFlusher}, which wakes the sink when it is due. A message leaves
     * the queue as it is encoded: retained until acked when the client acks, or released at once.
     */
    @Override
    public void pull(FrameSink.Writer out) {
        PlayerSession session = this.session;
        if (session == null) {
            if (relay != null) {
                pullRelayed(out);
            }
            return;
        }
        session.lock.lock();
        try {
            if (state.get() != State.OPEN) {
                return;
            }
            if (initReply != null) {
                put(out, FrameSink.Writer.NO_ACK, initReply);
                initReply = null;
            }
            long now = 0;
            for (Outbound message; (message = queue.peekFirst()) != null
                    && out.fits(ACK_ONLY_LENGTH + message.payload.length); ) {
                queue.pollFirst();
                put(out, acks.takeAck(), message.payload);
                if (now == 0) {
                    now = scheduler.nanoTime();
                }
                boolean retained = acks.sent(message, now, session.retainsLocked());
                if (!retained) {
                    session.releaseLocked(message); // delivered, as far as a client that never acks can tell
                }
                session.payloadSentLocked(this, retained);
            }
            if (acks.ackPending() && queue.isEmpty()) {
                if (ackDueLocked(scheduler.nanoTime()) && out.fits(ACK_ONLY_LENGTH)) {
                    put(out, acks.takeAck(), NO_PAYLOAD);
                }
                else if (!ackQueued) {
                    ackQueued = true;
                    ackFlusher.owe(this);
                }
            }
            ackDueNow = false;
        }
        finally {
            session.lock.unlock();
        }
    }

    /** A relayed connection's pull: the owner's frames as they came, while they fit; then room for as many more. */
    private void pullRelayed(FrameSink.Writer out) {
        int pulled = 0;
        synchronized (this) {
            if (state.get() != State.OPEN) {
                return;
            }
            for (byte[] frame; (frame = relayedFrames.peekFirst()) != null && out.fits(frame.length); pulled++) {
                relayedFrames.pollFirst();
                out.binary(FrameSink.Writer.NO_ACK, frame); // the ack byte, if any, is the owner's
                metrics.frameSent(frame.length);
            }
        }
        if (pulled > 0) {
            relay.pulled(pulled);
        }
    }

    /** Encodes one frame into the sink's write and counts it. */
    private void put(FrameSink.Writer out, int ack, byte[] payload) {
        out.binary(ack, payload);
        metrics.frameSent((ack == FrameSink.Writer.NO_ACK ? 0 : ACK_ONLY_LENGTH) + payload.length);
    }

    /**
     * For a protocol that handles packets off the reading thread (the game service): it is done
     * with what it received and sent what it had to. An ack still owed with nothing to ride on
     * then leaves at once instead of after {@code ack-delay}, so the client's view of the round
     * trip stays true. Any thread.
     */
    public void handled() {
        PlayerSession session = this.session;
        if (session == null) {
            return;
        }
        boolean wake;
        session.lock.lock();
        try {
            wake = acks.ackPending() && queue.isEmpty() && state.get() == State.OPEN;
            ackDueNow = wake;
        }
        finally {
            session.lock.unlock();
        }
        if (wake) {
            sink.wake();
        }
    }

    /** Tells the sink there may be something to pull (after the session queued a message here). */
    void wake() {
        sink.wake();
    }

    /**
     * Removes every message this connection still holds that must be delivered elsewhere, in
     * the order the session first queued them (retained unacked ones and queued ones alike). Volatile ones are released
     * instead. (A message pulled for a client that never acks was released when it was pulled: it
     * counts as delivered once handed to the socket.) Under the session's lock, once the connection is gone.
     */
    ArrayDeque<Outbound> takeUndeliveredLocked(PlayerSession session) {
        List<Outbound> undelivered = new ArrayList<>();
        for (Outbound message : acks.drain()) {
            keepIfReliable(session, undelivered, message);
        }
        for (Outbound message : queue) {
            keepIfReliable(session, undelivered, message);
        }
        queue.clear();
        // Retained ones are in the order they were written, which may not be the session's (some
        // were sent again here after another connection was lost): the session's order wins.
        undelivered.sort(Outbound.IN_SESSION_ORDER);
        return new ArrayDeque<>(undelivered);
    }

    private static void keepIfReliable(PlayerSession session, List<Outbound> kept, Outbound message) {
        if (message.reliable) {
            kept.add(message);
        }
        else {
            session.releaseLocked(message);
        }
    }

    /** Messages routed here and not acked: what routing weighs. Under the session's lock. */
    int loadLocked() {
        return queue.size() + acks.retained();
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
    public PlayerSession session() {
        return session;
    }

    public InetSocketAddress remoteAddress() {
        return sink.remoteAddress();
    }

    /** Smoothed round-trip time from acks in nanoseconds, or -1 before the first sample. */
    long smoothedRttNanosLocked() {
        return acks.smoothedRttNanos();
    }
}
