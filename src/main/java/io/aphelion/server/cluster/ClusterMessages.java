package io.aphelion.server.cluster;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.aphelion.server.observability.SessionHandover;
import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.protocol.game.GameSessions;
import io.aphelion.server.protocol.game.OtherNodes;
import io.aphelion.server.session.Delivery;
import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.SessionSnapshot;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.ProtocolViolationException;
import io.aphelion.wire.WireFormat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;

/**
 * What nodes tell each other through Redis pub/sub: broadcasts on {@code <prefix>broadcast}
 * (every node delivers each to the game sessions it owns, so each session gets it once), and
 * commands for one session on its owner's {@code <prefix>node:<id>:inbox} channel (send, close, close
 * if detached, set an attribute: what a {@link RemoteGameSession} asks of the owner), and the
 * moves of detached sessions (a request, answered with the session or "it stays"). It is
 * {@link GameSessions}' way to the other nodes ({@link OtherNodes}).
 *
 * <p>Delivery between nodes is Redis pub/sub's: at most once. A node that is cut off from Redis
 * misses what is published meanwhile; a broadcast reaches the sessions of the nodes that were
 * subscribed when it was sent. Messages are published behind, on the cluster's thread, in the
 * order they were sent. Thread-safe.
 */
final class ClusterMessages implements OtherNodes, MessageListener, SessionHandover {

    private static final Logger log = LoggerFactory.getLogger(ClusterMessages.class);

    private static final byte SEND = 1;
    private static final byte CLOSE = 2;
    private static final byte CLOSE_IF_DETACHED = 3;
    private static final byte SET_ATTRIBUTE = 4;
    /** Node to node (not for one session id): hand over a detached session; answered with MOVED or STAYS. */
    private static final byte MOVE = 5;
    private static final byte MOVED = 6;
    private static final byte STAYS = 7;
    /** On the broadcast channel: a broadcast (the other kind there is {@link #MOVED}). */
    private static final byte BROADCAST = 8;

    /** Rounds of a drain over the sessions that could not move yet (a game call of theirs still ran). */
    private static final int DRAIN_PASSES = 50;

    /** How long a node passes on to its new owner what still comes to it for a session it handed over. */
    static final Duration DEPARTURE_MEMORY = Duration.ofSeconds(30);

    private final ClusterRedis redis;
    private final ClusterNodes nodes;
    private final ClusterDirectory directory;
    private final SessionRegistry registry;
    /** The game's sessions, for broadcasts from other nodes (resolved late: they are made from this). */
    private final Supplier<GameSessions> gameSessions;
    private final Executor writer;
    /** Moves this node asked for and waits on, by request id. */
    private final ConcurrentHashMap<Long, CompletableFuture<PlayerSession>> moves = new ConcurrentHashMap<>();
    /** Sessions this node handed over lately, by id. */
    private final ConcurrentHashMap<Long, Departure> departures = new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();
    /** The one thread that handles what comes from Redis (the listener container's executor). */
    private final ExecutorService handler;
    private final Duration drainTimeout;

    /**
     * @param handler the one thread the listener container hands messages to
     * @param drainTimeout how long a stopping node hands its sessions over at most
     */
    ClusterMessages(ClusterRedis redis, ClusterNodes nodes, ClusterDirectory directory, SessionRegistry registry,
            Supplier<GameSessions> gameSessions, Executor writer, ExecutorService handler, Duration drainTimeout) {
        this.handler = handler;
        this.drainTimeout = drainTimeout;
        this.redis = redis;
        this.nodes = nodes;
        this.directory = directory;
        this.registry = registry;
        this.gameSessions = gameSessions;
        this.writer = writer;
        directory.bind(registry, this);
    }

    // ---- moving a detached session here

    /**
     * Asks {@code owner} for the session keyed {@code h} and waits for it, at most {@code timeout}.
     * The owner hands it over only if it has no connection there.
     *
     * @return the session, now in this node's registry; or null when it stays where it is
     * @throws ProtocolViolationException with 4105 when the owner did not answer in time (if the
     *         session comes later, it waits here for its client, who tries again: nothing is lost)
     * @throws ClusterUnavailableException when the request could not be published
     */
    PlayerSession requestMove(String owner, String h, Duration timeout) {
        long request = requests.incrementAndGet();
        CompletableFuture<PlayerSession> reply = new CompletableFuture<>();
        moves.put(request, reply);
        try {
            publishNow("move", nodeChannel(owner), encode(out -> {
                out.writeByte(MOVE);
                out.writeLong(request);
                out.writeUTF(nodes.id());
                out.writeUTF(h);
            }));
            return reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (TimeoutException ex) {
            throw new ProtocolViolationException(CloseCodes.CLUSTER_UNAVAILABLE,
                    "The session is moving from node " + owner + ": try again");
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ProtocolViolationException(CloseCodes.CLUSTER_UNAVAILABLE, "Interrupted");
        }
        catch (ExecutionException ex) {
            return null;
        }
        finally {
            moves.remove(request);
        }
    }

    /**
     * The owner's side: hands the session over if it has no connection here. The hand-over is
     * published on the broadcast channel, so that every node sees it at its place among the
     * broadcasts: what was published before it reached the session here (it is in the snapshot);
     * what comes after it reaches the new owner directly; and what came between the request and
     * the hand-over (which found the session gone from here) is forwarded to the new owner.
     */
    private void onMove(DataInputStream in) throws IOException {
        long request = in.readLong();
        String requester = in.readUTF();
        String h = in.readUTF();
        if (!handOver(h, requester, request)) {
            publishNow("moved", nodeChannel(requester), encode(out -> {
                out.writeByte(STAYS);
                out.writeLong(request);
            }));
        }
    }

    /**
     * Drain (this node stops): tells the others it takes no more sessions, closes every
     * session's connections with 1001 (the sessions live on, waiting to be resumed, their unacked
     * reliable messages kept) and hands each session over to another node in turn. A client that
     * comes back before its session's hand-over is published asks for it as after any drop.
     */
    @Override
    public int handOverAll() {
        List<ClusterNodes.Peer> takers;
        try {
            takers = nodes.drain();
        }
        catch (ClusterUnavailableException ex) {
            log.warn("Cannot hand sessions over, Redis is out of reach: they end here ({})", ex.getMessage());
            return 0;
        }
        if (takers.isEmpty()) {
            return 0; // the last node: its sessions end here, as on a single node
        }
        List<PlayerSession> sessions = new ArrayList<>();
        registry.all().forEach(sessions::add);
        for (PlayerSession session : sessions) {
            session.closeConnections(CloseCodes.GOING_AWAY, "Server shutting down: resume with your token");
        }
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        int handedOver = 0;
        for (int pass = 0; pass < DRAIN_PASSES && !sessions.isEmpty() && System.nanoTime() < deadline; pass++) {
            List<PlayerSession> busy = new ArrayList<>();
            for (PlayerSession session : sessions) {
                if (System.nanoTime() >= deadline) {
                    break;
                }
                ClusterNodes.Peer taker = takers.get(handedOver % takers.size());
                String h = directory.digest(session.token());
                // On the handler's own thread, so a hand-over sits in one place among the broadcasts and
                // commands it handles (as a move that another node asked for does).
                Future<Boolean> done = handler.submit(() -> handOver(h, taker.id(), 0));
                try {
                    if (done.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        handedOver++;
                    }
                    else if (session.state() != PlayerSession.State.ENDED) {
                        busy.add(session); // its game call still runs, or its client came back here: once more
                    }
                }
                catch (ExecutionException | TimeoutException ex) {
                    log.warn("Session {} could not be handed over: {}", session.id(), ex.toString());
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return handedOver;
                }
            }
            sessions = busy;
            if (!sessions.isEmpty()) {
                sleepQuietly(20);
            }
        }
        return handedOver;
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Hands the session keyed {@code h} over to {@code to}, if it has no connection here; false
     * when it stays. On the handler's thread only.
     */
    private boolean handOver(String h, String to, long request) throws IOException {
        ClusterDirectory.Handover handover = directory.handOver(h, to);
        if (handover == null) {
            return false;
        }
        SessionSnapshot snapshot = handover.snapshot();
        departures.put(snapshot.id(), new Departure(to, snapshot.attributes(), System.nanoTime()));
        try {
            publishNow("moved", broadcastChannel(), encode(out -> {
                out.writeByte(MOVED);
                out.writeUTF(nodes.id());
                out.writeUTF(to);
                out.writeLong(request);
                out.writeUTF(handover.epoch());
                SnapshotCodec.write(snapshot, out);
            }));
            return true;
        }
        catch (ClusterUnavailableException ex) {
            departures.remove(snapshot.id());
            directory.takeBack(handover, to); // the new owner never hears of it: it stays here
            return false;
        }
    }

    /** A hand-over, as every node sees it on the broadcast channel. */
    private void onMoved(DataInputStream in) throws IOException {
        String from = in.readUTF();
        String to = in.readUTF();
        long request = in.readLong();
        String epoch = in.readUTF();
        SessionSnapshot snapshot = SnapshotCodec.read(in);
        if (from.equals(nodes.id())) {
            Departure departure = departures.get(snapshot.id());
            if (departure != null) {
                departure.handedOver = true; // broadcasts from now on reach the new owner directly
            }
        }
        if (!to.equals(nodes.id())) {
            return;
        }
        // Taken in here, on this thread, before the next broadcast is handled: none passes it by.
        directory.tookOver(snapshot, epoch);
        PlayerSession session = registry.arrive(snapshot);
        if (session == null) {
            log.warn("Session {} moved here, but this node already holds its token", snapshot.id());
        }
        CompletableFuture<PlayerSession> reply = moves.get(request);
        if (reply != null) {
            reply.complete(session);
        }
    }

    private void onStays(DataInputStream in) throws IOException {
        CompletableFuture<PlayerSession> reply = moves.get(in.readLong());
        if (reply != null) {
            reply.completeExceptionally(new IllegalStateException("stays"));
        }
    }

    /** A session this node handed over, remembered for {@link #DEPARTURE_MEMORY} to pass on what still comes here for it. */
    private static final class Departure {

        final String owner;
        final Map<String, String> attributes;
        final long atNanos;
        /** Whether this node has seen its own hand-over on the broadcast channel (then broadcasts no longer need passing on). */
        volatile boolean handedOver;

        Departure(String owner, Map<String, String> attributes, long atNanos) {
            this.owner = owner;
            this.attributes = attributes;
            this.atNanos = atNanos;
        }
    }

    /** Passes on to their new owners the broadcasts that came between a hand-over's request and the hand-over itself. */
    private void forwardToDepartures(byte[] payload, Delivery delivery, String attribute) {
        long now = System.nanoTime();
        departures.values().removeIf(departure -> now - departure.atNanos > DEPARTURE_MEMORY.toNanos());
        for (Map.Entry<Long, Departure> entry : departures.entrySet()) {
            Departure departure = entry.getValue();
            if (!departure.handedOver && (attribute == null || departure.attributes.containsKey(attribute))) {
                send(departure.owner, entry.getKey(), payload, delivery);
            }
        }
    }

    /** The new owner of a session this node handed over lately, or null. */
    private String departedTo(long id) {
        long now = System.nanoTime();
        departures.values().removeIf(departure -> now - departure.atNanos > DEPARTURE_MEMORY.toNanos());
        Departure departure = departures.get(id);
        return departure == null ? null : departure.owner;
    }

    private void publishNow(String operation, String channel, byte[] message) {
        redis.call("publish-" + operation, () -> redis.bytes().convertAndSend(channel, message));
    }

    /** The broadcast channel. */
    String broadcastChannel() {
        return redis.key("broadcast");
    }

    /** A node's own channel. */
    String nodeChannel(String node) {
        return redis.key("node:" + node + ":inbox");
    }

    // ---- OtherNodes

    /**
     * Published for every node, this one included: each delivers it when it comes back from Redis,
     * so all nodes see broadcasts and hand-overs in one order and a session that moves gets each
     * broadcast once. If it cannot be published, this node's sessions get it at once, alone.
     */
    @Override
    public boolean broadcast(byte[] payload, Delivery delivery, String attribute) {
        byte[] message = encode(out -> {
            out.writeByte(BROADCAST);
            out.writeUTF(nodes.id());
            out.writeByte(delivery.ordinal());
            out.writeUTF(attribute == null ? "" : attribute);
            out.writeInt(payload.length);
            out.write(payload);
        });
        writer.execute(() -> {
            try {
                publishNow("broadcast", broadcastChannel(), message);
            }
            catch (ClusterUnavailableException ex) {
                log.warn("A broadcast reached only this node's sessions: {}", ex.getMessage());
                gameSessions.get().deliverLocal(payload, delivery, attribute);
            }
        });
        return true;
    }

    @Override
    public Optional<GameSession<?>> find(long id) {
        RemoteGameSession session = RemoteGameSession.lookUp(id, redis, nodes, this);
        return Optional.ofNullable(session);
    }

    @Override
    public int count() {
        return nodes.otherNodesSessions(WireFormat.PROTOCOL_GAME, false);
    }

    // ---- commands for a session on its owner

    void send(String owner, long id, byte[] payload, Delivery delivery) {
        command(owner, SEND, id, out -> {
            out.writeByte(delivery.ordinal());
            out.writeInt(payload.length);
            out.write(payload);
        });
    }

    void close(String owner, long id, String reason) {
        command(owner, CLOSE, id, out -> out.writeUTF(reason == null ? "" : reason));
    }

    void closeIfDetached(String owner, long id) {
        command(owner, CLOSE_IF_DETACHED, id, out -> { });
    }

    void setAttribute(String owner, long id, String name, String value) {
        command(owner, SET_ATTRIBUTE, id, out -> {
            out.writeUTF(name);
            out.writeBoolean(value != null);
            out.writeUTF(value == null ? "" : value);
        });
    }

    private void command(String owner, byte kind, long id, Body body) {
        publishBehind("command", nodeChannel(owner), encode(out -> {
            out.writeByte(kind);
            out.writeLong(id);
            body.write(out);
        }));
    }

    private void publishBehind(String operation, String channel, byte[] message) {
        writer.execute(() -> {
            try {
                redis.call("publish-" + operation, () -> redis.bytes().convertAndSend(channel, message));
            }
            catch (ClusterUnavailableException ex) {
                log.warn("A {} for the other nodes was lost: {}", operation, ex.getMessage());
            }
        });
    }

    // ---- from other nodes

    @Override
    public void onMessage(Message message, byte[] pattern) {
        String channel = new String(message.getChannel(), StandardCharsets.UTF_8);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(message.getBody()))) {
            if (channel.equals(broadcastChannel())) {
                onBroadcast(in);
            }
            else {
                onCommand(in, message.getBody());
            }
        }
        catch (IOException | RuntimeException ex) {
            log.warn("A cluster message on {} could not be handled", channel, ex);
        }
    }

    private void onBroadcast(DataInputStream in) throws IOException {
        if (in.readByte() == MOVED) {
            onMoved(in);
            return;
        }
        in.readUTF(); // the sending node's id
        Delivery delivery = Delivery.values()[in.readUnsignedByte()];
        String attribute = in.readUTF();
        byte[] payload = in.readNBytes(in.readInt());
        String only = attribute.isEmpty() ? null : attribute;
        gameSessions.get().deliverLocal(payload, delivery, only); // this node's own broadcasts too: one order

        if (!departures.isEmpty()) {
            forwardToDepartures(payload, delivery, only);
        }
    }

    private void onCommand(DataInputStream in, byte[] body) throws IOException {
        byte kind = in.readByte();
        switch (kind) {
            case MOVE -> {
                onMove(in);
                return;
            }
            case STAYS -> {
                onStays(in);
                return;
            }
            default -> { }
        }
        long id = in.readLong();
        PlayerSession session = registry.find(id).orElse(null);
        if (session == null) {
            String owner = departedTo(id);
            if (owner != null) {
                publishBehind("command", nodeChannel(owner), body); // it moved: the command follows it
            }
            return; // ended meanwhile
        }
        switch (kind) {
            case SEND -> {
                Delivery delivery = Delivery.values()[in.readUnsignedByte()];
                session.send(in.readNBytes(in.readInt()), delivery);
            }
            case CLOSE -> session.close(SessionEndReason.CLOSED_BY_SERVER, in.readUTF());
            case CLOSE_IF_DETACHED -> session.closeIfDetached(SessionEndReason.CLOSED_BY_SERVER);
            case SET_ATTRIBUTE -> {
                String name = in.readUTF();
                boolean set = in.readBoolean();
                String value = in.readUTF();
                session.attribute(name, set ? value : null);
            }
            default -> log.warn("Unknown cluster command {} for session {}", kind, id);
        }
    }

    /** The channels this node listens on. */
    List<String> channels() {
        return List.of(broadcastChannel(), nodeChannel(nodes.id()));
    }

    @FunctionalInterface
    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] encode(Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            body.write(out);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }
}
