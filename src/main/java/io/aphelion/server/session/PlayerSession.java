package io.aphelion.server.session;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.aphelion.server.session.TransportMetrics;
import io.aphelion.server.support.Scheduler;
import io.aphelion.server.support.Scheduler.Cancellable;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A player session: 1..max-connections connections of one protocol, and the messages on their
 * way to the client (docs/PRODUCT.md "Sessions").
 *
 * <ul>
 * <li>Routing: each message goes to the open connection with the fewest messages routed to it and
 * not yet acked; ties rotate, per session.</li>
 * <li>Reliability: when a connection is lost, its reliable messages that were not acked move, in
 * order, to another connection, or wait for the connection that resumes the session.</li>
 * <li>Bounds: unsent and unacked messages count against a byte and a message limit. A volatile
 * message past it is dropped; a reliable one first evicts the queued volatile ones, and if it
 * still does not fit the session ends with {@link SessionEndReason#SEND_BUFFER_OVERFLOW}.</li>
 * <li>Acking is the session's, not one connection's ({@link Acking}): until the client acks for
 * the first time on any connection, packets are retained as an acking client's are, so a connection
 * dropped before its first ack loses nothing; a client that never acks within
 * {@code non-acking-grace}, or whose unacked packets would overflow the send buffer first, is served
 * as non-acking (nothing retained, nothing replayed, no ack timeout).</li>
 * <li>Expiry: {@code expiry} after its last connection is lost, the session ends unless a
 * connection resumed it. A client that closes the last connection with 1000 has left: the session
 * ends at once ({@link SessionEndReason#CLOSED_BY_CLIENT}).</li>
 * </ul>
 *
 * <p>Thread-safe. {@link #lock} guards the fields below it and the delivery state of its
 * connections. Listener lifecycle calls are made with the lock held, so they arrive in order and
 * exactly once; listeners only hand them off. Sockets are closed after the lock is released.
 */
public final class PlayerSession {

    private static final Logger log = LoggerFactory.getLogger(PlayerSession.class);

    /** Where a session is in its life. */
    public enum State {
        /** At least one connection. */
        LIVE,
        /** No connection; ends at expiry unless resumed. */
        DETACHED,
        /** Over; its token no longer resumes it. */
        ENDED
    }

    /** How the session's client acks (docs/PRODUCT.md "Frames after the handshake"). */
    enum Acking {
        /** No ack yet: packets are retained as an acking client's are. */
        UNDECIDED,
        /** The client acked on some connection: packets are retained until acked; the ack timeout applies. */
        ACKING,
        /** The client did not ack within the grace, or would have overflowed the send buffer first: packets count as delivered once written. */
        NON_ACKING
    }

    /** Outcome of {@link #attach}. */
    enum Attach {
        NEW, ADDED, RESUMED, FULL, ENDED
    }

    private final long id;
    private final SessionToken token;
    private final int protocol;
    private final int version;
    private final SessionListener<?> listener;
    private final Scheduler scheduler;
    private final TransportSettings settings;
    private final TransportMetrics metrics;
    private final SessionRegistry.Book book;

    /** {@link #releaseLocked} as the ack tracker's callback, made once instead of per ack. */
    private final Consumer<Outbound> release = this::releaseLocked;

    /** Guards everything below, and the delivery state of the connections. */
    final ReentrantLock lock = new ReentrantLock();
    private final ArrayList<ClientConnection> connections = new ArrayList<>(2);
    /**
     * Messages waiting for a connection while the session has none, oldest first; null while
     * there are none (a connected session never needs it), made by {@link #pendingLocked()}.
     */
    private ArrayDeque<Outbound> pending;
    private long bufferedBytes;
    private int bufferedMessages;
    private volatile State state = State.LIVE;
    /** Start of the next routing scan, so ties rotate. */
    private int rotation;
    /** The last message's {@link Outbound#sequence}. */
    private long sequence;
    private Cancellable expiryTimer = Cancellable.NONE;
    /** Bumped each time the session detaches, so a stale expiry timer does nothing. */
    private int detachGeneration;
    /** When the session's expiry runs out while detached ({@link Scheduler#nanoTime()}). */
    private long expiresAtNanos;
    private volatile InetSocketAddress remoteAddress;
    private volatile SessionEndReason endReason;
    private Acking acking = Acking.UNDECIDED;
    /** While undecided: the grace that started with the first payload packet sent; NONE when not running. */
    private Cancellable graceTimer = Cancellable.NONE;
    /** The protocol's own per-session state (for the game: its handle and executor). */
    private volatile Object attachment;
    /** Named values the application keeps with the session; null until the first is set. */
    private volatile ConcurrentHashMap<String, String> attributes;

    PlayerSession(long id, SessionToken token, int protocol, int version, SessionListener<?> listener, Scheduler scheduler,
            TransportSettings settings, TransportMetrics metrics, SessionRegistry.Book book) {
        this.id = id;
        this.token = token;
        this.protocol = protocol;
        this.version = version;
        this.listener = listener;
        this.scheduler = scheduler;
        this.settings = settings;
        this.metrics = metrics;
        this.book = book;
    }

    /** Adds a connection whose init packet named this session (or created it). */
    Attach attach(ClientConnection connection, boolean created) {
        lock.lock();
        try {
            if (state == State.ENDED) {
                return Attach.ENDED;
            }
            if (connections.size() >= settings.maxConnections()) {
                return Attach.FULL;
            }
            connections.add(connection);
            connection.attached(this, InitPacket.encodeReply(token));
            remoteAddress = connection.remoteAddress();
            Attach result = created ? Attach.NEW : Attach.ADDED;
            if (state == State.DETACHED) {
                state = State.LIVE;
                expiryTimer.cancel();
                book.resumed(this);
                result = Attach.RESUMED;
            }
            if (pending != null) {
                connection.queue.addAll(pending);
                pending = null;
            }
            if (result == Attach.NEW) {
                metrics.sessionStarted(protocol);
                tell("sessionStarted", () -> listener.sessionStarted(this));
            }
            else if (result == Attach.RESUMED) {
                metrics.sessionResumed(protocol);
                tell("sessionResumed", () -> listener.sessionResumed(this, connection));
            }
            tell("connectionAdded", () -> listener.connectionAdded(this, connection));
            return result;
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Queues a message for the client on the least loaded connection (or for the connection that
     * resumes the session).
     *
     * @return false when the message was not queued: the session has ended, a volatile message
     *         met a full buffer, or a reliable one overflowed it (and the session ended)
     */
    public boolean send(byte[] payload, Delivery delivery) {
        return send(null, payload, delivery);
    }

    /**
     * Like {@link #send(byte[], Delivery)}, on a given connection while it is open (a reply that
     * must travel the path it measures, like a ping's).
     */
    public boolean send(ClientConnection preferred, byte[] payload, Delivery delivery) {
        requirePayload(payload);
        Outbound message = new Outbound(payload, delivery == Delivery.RELIABLE);
        ClientConnection target = null;
        List<ClientConnection> toClose = null;
        lock.lock();
        try {
            if (state == State.ENDED) {
                return false;
            }
            message.sequence = ++sequence;
            boolean reserved = reserveLocked(message);
            if (!reserved && acking == Acking.UNDECIDED && retainedLocked() > 0) {
                // Its unacked packets would overflow the buffer before it ever acked: a non-acking client.
                becomeNonAckingLocked();
                reserved = reserveLocked(message);
            }
            if (!reserved) {
                if (!message.reliable) {
                    metrics.volatileDropped();
                    return false;
                }
                evictVolatileLocked();
                if (!reserveLocked(message)) {
                    metrics.slowClientDisconnected();
                    toClose = endLocked(SessionEndReason.SEND_BUFFER_OVERFLOW);
                }
            }
            if (toClose == null) {
                target = preferred != null && connections.contains(preferred) ? preferred : routeLocked();
                if (target == null) {
                    pendingLocked().addLast(message);
                }
                else {
                    target.queue.addLast(message);
                }
            }
        }
        finally {
            lock.unlock();
        }
        if (toClose != null) {
            closeAll(toClose, SessionEndReason.SEND_BUFFER_OVERFLOW, "Send buffer overflow: the client cannot keep up");
            return false;
        }
        if (target != null) {
            target.wake();
        }
        return true;
    }

    /**
     * @throws IllegalArgumentException for an empty payload: the protocol reads a packet without
     *         payload as ack-only (websocket-transport.txt), so the client would never see it
     */
    public static void requirePayload(byte[] payload) {
        if (payload.length == 0) {
            throw new IllegalArgumentException("A message of 0 bytes cannot be sent: the client reads a packet without "
                    + "payload as an ack. Give the message a field that is always written (e.g. a proto3 optional).");
        }
    }

    /** Applies the ack of a received packet and counts its payload (container thread). */
    void packetReceived(ClientConnection connection, int ack, boolean hasPayload) {
        lock.lock();
        try {
            if (!connections.contains(connection)) {
                return; // lost or ended meanwhile: its trackers were drained, an ack of it means nothing now
            }
            if (ack > 0) {
                long rtt = connection.acks.acked(ack, scheduler.nanoTime(), release);
                metrics.ackReceived(ack, rtt);
                if (acking != Acking.ACKING) {
                    becomeAckingLocked();
                }
            }
            if (hasPayload) {
                connection.payloadReceivedLocked();
            }
        }
        finally {
            lock.unlock();
        }
    }

    // ---- Acking: guarded by the lock

    /** Whether packets sent now are retained until acked: unless the client is served as non-acking. */
    boolean retainsLocked() {
        return acking != Acking.NON_ACKING;
    }

    /**
     * A payload packet left on {@code connection}: while undecided it starts the grace; for an
     * acking client a retained one arms the connection's ack timeout.
     */
    void payloadSentLocked(ClientConnection connection, boolean retained) {
        if (acking == Acking.ACKING) {
            if (retained) {
                connection.armAckTimeoutLocked();
            }
        }
        else if (acking == Acking.UNDECIDED && graceTimer == Cancellable.NONE) {
            graceTimer = scheduler.schedule(this::graceEnded, settings.nonAckingGrace());
        }
    }

    private void graceEnded() {
        lock.lock();
        try {
            graceTimer = Cancellable.NONE;
            // Without a connection the client could not ack: the next packet sent starts a new grace.
            if (acking == Acking.UNDECIDED && state == State.LIVE) {
                becomeNonAckingLocked();
            }
        }
        finally {
            lock.unlock();
        }
    }

    /** The client acked: every connection's retained packets are now under the ack timeout. */
    private void becomeAckingLocked() {
        decideLocked(Acking.ACKING);
    }

    /** The client never acks: what is retained counts as delivered (and stays outstanding for the count). */
    private void becomeNonAckingLocked() {
        decideLocked(Acking.NON_ACKING);
    }

    private void decideLocked(Acking decided) {
        acking = decided;
        graceTimer.cancel();
        graceTimer = Cancellable.NONE;
        for (ClientConnection connection : connections) {
            if (decided == Acking.ACKING) {
                connection.armAckTimeoutLocked();
            }
            else {
                connection.acks.forgetRetained(release);
            }
        }
    }

    private int retainedLocked() {
        int retained = 0;
        for (ClientConnection connection : connections) {
            retained += connection.acks.retained();
        }
        return retained;
    }

    /**
     * A connection closed: move its undelivered reliable messages on; detach if it was the last,
     * or end the session when its client left (closed the last connection itself with 1000).
     */
    void connectionLost(ClientConnection connection, int closeCode, boolean closedByClient) {
        ClientConnection target = null;
        lock.lock();
        try {
            if (!connections.remove(connection)) {
                return;
            }
            ArrayDeque<Outbound> undelivered = connection.takeUndeliveredLocked(this);
            tell("connectionLost", () -> listener.connectionLost(this, connection, closeCode));
            if (connections.isEmpty() && closedByClient && closeCode == CloseCodes.NORMAL) {
                endLocked(SessionEndReason.CLOSED_BY_CLIENT);
                return;
            }
            if (!undelivered.isEmpty()) {
                metrics.resent(undelivered.size());
            }
            if (connections.isEmpty()) {
                mergeLocked(pendingLocked(), undelivered);
                state = State.DETACHED;
                book.detached(this); // after the state: the book tells a detach from an end by it
                scheduleExpiryLocked(settings.expiry());
            }
            else if (!undelivered.isEmpty()) {
                target = routeLocked();
                mergeLocked(target.queue, undelivered);
            }
        }
        finally {
            lock.unlock();
        }
        if (target != null) {
            target.wake();
        }
    }

    private void scheduleExpiryLocked(Duration left) {
        int generation = ++detachGeneration;
        expiresAtNanos = scheduler.nanoTime() + left.toNanos();
        expiryTimer = scheduler.schedule(() -> expire(generation), left);
    }

    /**
     * Cluster mode: this session leaves for another node, if it has no connection now (decided
     * under the lock, so a resume cannot slip in between). It ends here without ending: its token
     * stops working on this node, its buffers are released, and its listener hears
     * {@code sessionDeparted} (not {@code sessionEnded}): the session goes on elsewhere.
     *
     * @return what the other node needs to go on, or null when the session has a connection,
     *         ended, or its protocol is still handling something of it ({@link SessionListener#busy})
     */
    SessionSnapshot depart() {
        lock.lock();
        try {
            if (state != State.DETACHED || listener.busy(this)) {
                return null;
            }
            List<SessionSnapshot.Pending> waiting = new ArrayList<>();
            if (pending != null) {
                for (Outbound message : pending) {
                    waiting.add(new SessionSnapshot.Pending(message.payload, message.reliable));
                }
            }
            long left = Math.max(0, (expiresAtNanos - scheduler.nanoTime()) / 1_000_000);
            SessionSnapshot snapshot = new SessionSnapshot(id, token, protocol, version, acking.name(), attributes(), waiting, left);
            state = State.ENDED;
            expiryTimer.cancel();
            graceTimer.cancel();
            pending = null;
            bufferedBytes = 0;
            bufferedMessages = 0;
            book.departed(this);
            tell("sessionDeparted", () -> listener.sessionDeparted(this));
            return snapshot;
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Cluster mode: a session that moved here from another node, as it was there, without a
     * connection (the one that brought it attaches next). Its listener hears
     * {@code sessionArrived} (not {@code sessionStarted}).
     */
    static PlayerSession arrived(SessionSnapshot snapshot, SessionListener<?> listener, Scheduler scheduler,
            TransportSettings settings, TransportMetrics metrics, SessionRegistry.Book book) {
        PlayerSession session = new PlayerSession(snapshot.id(), snapshot.token(), snapshot.protocol(), snapshot.version(),
                listener, scheduler, settings, metrics, book);
        session.lock.lock();
        try {
            session.state = State.DETACHED;
            session.acking = Acking.valueOf(snapshot.acking());
            if (!snapshot.attributes().isEmpty()) {
                session.attributes = new ConcurrentHashMap<>(snapshot.attributes());
            }
            for (SessionSnapshot.Pending message : snapshot.pending()) {
                Outbound outbound = new Outbound(message.payload(), message.reliable());
                outbound.sequence = ++session.sequence;
                if (session.reserveLocked(outbound)) {
                    session.pendingLocked().addLast(outbound);
                }
            }
            session.scheduleExpiryLocked(Duration.ofMillis(snapshot.expiresInMillis()));
            session.tell("sessionArrived", () -> listener.sessionArrived(session));
        }
        finally {
            session.lock.unlock();
        }
        return session;
    }

    private void expire(int generation) {
        List<ClientConnection> toClose;
        lock.lock();
        try {
            if (state != State.DETACHED || generation != detachGeneration) {
                return;
            }
            toClose = endLocked(SessionEndReason.EXPIRED);
        }
        finally {
            lock.unlock();
        }
        closeAll(toClose, SessionEndReason.EXPIRED, "Session expired");
    }

    /**
     * Ends the session: its connections are closed with the reason's close code, its buffers are
     * released, its token stops working and its listener hears {@code sessionEnded} once.
     * Harmless when already ended.
     */
    public void close(SessionEndReason reason, String description) {
        List<ClientConnection> toClose;
        lock.lock();
        try {
            toClose = endLocked(reason);
        }
        finally {
            lock.unlock();
        }
        closeAll(toClose, reason, description);
    }

    /**
     * Closes every connection of the session with this code, the session living on: it waits to
     * be resumed, with its unacked reliable messages, as after a drop (cluster drain: its client
     * comes back through another node, where the session moves).
     */
    public void closeConnections(int code, String reason) {
        List<ClientConnection> open;
        lock.lock();
        try {
            open = new ArrayList<>(connections);
        }
        finally {
            lock.unlock();
        }
        for (ClientConnection connection : open) {
            connection.close(code, reason);
        }
    }

    /**
     * Ends the session like {@link #close}, but only if it has no connection at this moment
     * (waiting to be resumed), decided under the lock so a resume cannot slip in between.
     *
     * @return whether it was ended by this call
     */
    public boolean closeIfDetached(SessionEndReason reason) {
        lock.lock();
        try {
            if (state != State.DETACHED) {
                return false;
            }
            endLocked(reason); // no connection: nothing to close
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    private List<ClientConnection> endLocked(SessionEndReason reason) {
        if (state == State.ENDED) {
            return List.of();
        }
        if (state == State.LIVE) {
            book.detached(this);
        }
        state = State.ENDED;
        endReason = reason;
        expiryTimer.cancel();
        graceTimer.cancel();
        List<ClientConnection> toClose = new ArrayList<>(connections);
        connections.clear();
        for (ClientConnection connection : toClose) {
            connection.takeUndeliveredLocked(this);
        }
        pending = null;
        bufferedBytes = 0;
        bufferedMessages = 0;
        book.ended(this);
        metrics.sessionEnded(protocol, reason);
        tell("sessionEnded", () -> listener.sessionEnded(this, reason));
        return toClose;
    }

    /**
     * Calls the listener under the lock. Whatever it throws (an Error too) is logged and goes no
     * further: the session's own bookkeeping (routing, expiry, the registry) always completes, so
     * a failing protocol never leaves a session without connections and without an expiry.
     */
    private void tell(String event, Runnable call) {
        try {
            call.run();
        }
        catch (Throwable ex) {
            log.error("Protocol {} failed in {} of session {}", protocol, event, id, ex);
        }
    }

    private static void closeAll(List<ClientConnection> connections, SessionEndReason reason, String description) {
        for (ClientConnection connection : connections) {
            connection.close(reason.closeCode(), description);
        }
    }

    /**
     * The connection with the fewest messages routed to it and not acked. One that owes the
     * client an ack counts one message less, so a reply rides with the ack of what it answers
     * unless that connection is clearly busier; ties rotate.
     */
    private ClientConnection routeLocked() {
        int count = connections.size();
        if (count == 0) {
            return null;
        }
        if (count == 1) {
            return connections.get(0);
        }
        ClientConnection best = null;
        int bestLoad = Integer.MAX_VALUE;
        int start = Math.floorMod(rotation++, count);
        for (int i = 0; i < count; i++) {
            ClientConnection candidate = connections.get((start + i) % count);
            int load = candidate.loadLocked() - (candidate.acks.ackPending() ? 1 : 0);
            if (load < bestLoad) {
                best = candidate;
                bestLoad = load;
            }
        }
        return best;
    }

    /**
     * Merges messages to be sent again into a queue, both in their original order: so the client
     * gets what it missed in the order it was first sent, even when the messages had been routed
     * to several connections.
     */
    private static void mergeLocked(ArrayDeque<Outbound> queue, ArrayDeque<Outbound> again) {
        if (again.isEmpty()) {
            return;
        }
        List<Outbound> merged = new ArrayList<>(queue);
        merged.addAll(again);
        merged.sort(Outbound.IN_SESSION_ORDER);
        queue.clear();
        queue.addAll(merged);
    }

    private ArrayDeque<Outbound> pendingLocked() {
        if (pending == null) {
            pending = new ArrayDeque<>();
        }
        return pending;
    }

    private boolean reserveLocked(Outbound message) {
        if (bufferedBytes + message.size() > settings.maxBufferedBytes()
                || bufferedMessages + 1 > settings.maxBufferedMessages()) {
            return false;
        }
        bufferedBytes += message.size();
        bufferedMessages++;
        return true;
    }

    /** Gives back a message's share of the send buffer (acked, written untracked, or dropped). */
    void releaseLocked(Outbound message) {
        bufferedBytes -= message.size();
        bufferedMessages--;
    }

    private void evictVolatileLocked() {
        if (pending != null) {
            evictVolatile(pending);
        }
        for (ClientConnection connection : connections) {
            evictVolatile(connection.queue);
        }
    }

    private void evictVolatile(ArrayDeque<Outbound> queue) {
        queue.removeIf(message -> {
            if (message.reliable) {
                return false;
            }
            releaseLocked(message);
            metrics.volatileDropped();
            return true;
        });
    }

    /** A token-free id, unique for the life of the process. */
    public long id() {
        return id;
    }

    /** The session token; never log it in full ({@link SessionToken#toString()} is safe). */
    public SessionToken token() {
        return token;
    }

    public int protocol() {
        return protocol;
    }

    /** The protocol version the session speaks: the one its client asked for, or the newest served when it asked for 0 (bypass). */
    public int version() {
        return version;
    }

    public State state() {
        return state;
    }

    /** Why the session ended, or null while it lives. */
    public SessionEndReason endReason() {
        return endReason;
    }

    public int connectionCount() {
        return locked(connections::size);
    }

    /** The address of the client's most recent connection. */
    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    /** Payload bytes held unsent or unacked. */
    public long bufferedBytes() {
        return locked(() -> bufferedBytes);
    }

    /** Messages held unsent or unacked. */
    public int bufferedMessages() {
        return locked(() -> bufferedMessages);
    }

    /** The smallest smoothed round-trip time among its connections, measured from acks. */
    public Optional<Duration> roundTripTime() {
        return locked(() -> connections.stream()
                .mapToLong(ClientConnection::smoothedRttNanosLocked)
                .filter(rtt -> rtt >= 0)
                .min()
                .stream()
                .mapToObj(Duration::ofNanos)
                .findFirst());
    }

    /** Reads state under the lock (for the accessors; not for hot paths). */
    private <T> T locked(Supplier<T> read) {
        lock.lock();
        try {
            return read.get();
        }
        finally {
            lock.unlock();
        }
    }

    SessionListener<?> listener() {
        return listener;
    }

    /** A named value kept with the session, or null. */
    public String attribute(String name) {
        ConcurrentHashMap<String, String> values = attributes;
        return values == null ? null : values.get(name);
    }

    /**
     * Sets a named value kept with the session ({@code value} null removes it); in a cluster it is
     * written to the session directory too, so it travels with the session.
     */
    public void attribute(String name, String value) {
        Objects.requireNonNull(name, "name");
        ConcurrentHashMap<String, String> values = attributes;
        if (values == null) {
            if (value == null) {
                return;
            }
            synchronized (this) {
                if (attributes == null) {
                    attributes = new ConcurrentHashMap<>(4);
                }
                values = attributes;
            }
        }
        String previous = value == null ? values.remove(name) : values.put(name, value);
        if (!Objects.equals(previous, value) && state != State.ENDED) {
            book.attributeChanged(this, name, value);
        }
    }

    /** The named values kept with the session (a copy). */
    public Map<String, String> attributes() {
        ConcurrentHashMap<String, String> values = attributes;
        return values == null ? Map.of() : Map.copyOf(values);
    }

    /** The protocol's own per-session state. */
    public Object attachment() {
        return attachment;
    }

    public void attachment(Object attachment) {
        this.attachment = attachment;
    }

    @Override
    public String toString() {
        return "Session " + id + " (protocol " + protocol + ", " + state + ")";
    }
}
