package io.aphelion.server.cluster;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.protocol.game.GameSessions;
import io.aphelion.server.protocol.game.OtherNodes;
import io.aphelion.server.session.Delivery;
import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.SessionSnapshot;
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
final class ClusterMessages implements OtherNodes, MessageListener {

    private static final Logger log = LoggerFactory.getLogger(ClusterMessages.class);

    private static final byte SEND = 1;
    private static final byte CLOSE = 2;
    private static final byte CLOSE_IF_DETACHED = 3;
    private static final byte SET_ATTRIBUTE = 4;
    /** Node to node (not for one session id): hand over a detached session; answered with MOVED or STAYS. */
    private static final byte MOVE = 5;
    private static final byte MOVED = 6;
    private static final byte STAYS = 7;

    private final ClusterRedis redis;
    private final ClusterNodes nodes;
    private final ClusterDirectory directory;
    private final SessionRegistry registry;
    /** The game's sessions, for broadcasts from other nodes (resolved late: they are made from this). */
    private final Supplier<GameSessions> gameSessions;
    private final Executor writer;
    /** Moves this node asked for and waits on, by request id. */
    private final ConcurrentHashMap<Long, CompletableFuture<SessionSnapshot>> moves = new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();

    ClusterMessages(ClusterRedis redis, ClusterNodes nodes, ClusterDirectory directory, SessionRegistry registry,
            Supplier<GameSessions> gameSessions, Executor writer) {
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
     * @return the session, or null when it stays where it is (or the owner did not answer in time:
     *         if the session comes later, it is taken in without a connection, nothing is lost)
     */
    SessionSnapshot requestMove(String owner, String h, Duration timeout) {
        long request = requests.incrementAndGet();
        CompletableFuture<SessionSnapshot> reply = new CompletableFuture<>();
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
            if (reply.completeExceptionally(ex)) {
                log.warn("Node {} did not answer a move within {} ms: the connection is relayed", owner, timeout.toMillis());
                return null;
            }
            return reply.join(); // it came just now
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return null;
        }
        catch (ExecutionException | ClusterUnavailableException ex) {
            return null;
        }
        finally {
            moves.remove(request);
        }
    }

    private void onMove(DataInputStream in) throws IOException {
        long request = in.readLong();
        String requester = in.readUTF();
        String h = in.readUTF();
        ClusterDirectory.Handover handover = directory.handOver(h, requester);
        byte[] answer = encode(out -> {
            out.writeByte(handover == null ? STAYS : MOVED);
            out.writeLong(request);
            if (handover != null) {
                out.writeUTF(handover.epoch());
                SnapshotCodec.write(handover.snapshot(), out);
            }
        });
        publishNow("moved", nodeChannel(requester), answer);
    }

    private void onMoved(DataInputStream in, boolean moved) throws IOException {
        long request = in.readLong();
        CompletableFuture<SessionSnapshot> reply = moves.get(request);
        if (!moved) {
            if (reply != null) {
                reply.complete(null);
            }
            return;
        }
        String epoch = in.readUTF();
        SessionSnapshot snapshot = SnapshotCodec.read(in);
        directory.tookOver(snapshot, epoch);
        if (reply == null || !reply.complete(snapshot)) {
            // Its connection stopped waiting: the session waits here for its client instead.
            if (registry.arrive(snapshot) == null) {
                log.warn("Session {} moved here late, but this node already holds its token", snapshot.id());
            }
        }
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

    @Override
    public void broadcast(byte[] payload, Delivery delivery, String attribute) {
        byte[] message = encode(out -> {
            out.writeUTF(nodes.id());
            out.writeByte(delivery.ordinal());
            out.writeUTF(attribute == null ? "" : attribute);
            out.writeInt(payload.length);
            out.write(payload);
        });
        publishBehind("broadcast", broadcastChannel(), message);
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
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(message.getBody()))) {
            if (channel.equals(broadcastChannel())) {
                onBroadcast(in);
            }
            else {
                onCommand(in);
            }
        }
        catch (IOException | RuntimeException ex) {
            log.warn("A cluster message on {} could not be handled", channel, ex);
        }
    }

    private void onBroadcast(DataInputStream in) throws IOException {
        String origin = in.readUTF();
        if (origin.equals(nodes.id())) {
            return; // delivered here when it was sent
        }
        Delivery delivery = Delivery.values()[in.readUnsignedByte()];
        String attribute = in.readUTF();
        byte[] payload = in.readNBytes(in.readInt());
        gameSessions.get().deliverLocal(payload, delivery, attribute.isEmpty() ? null : attribute);
    }

    private void onCommand(DataInputStream in) throws IOException {
        byte kind = in.readByte();
        switch (kind) {
            case MOVE -> {
                onMove(in);
                return;
            }
            case MOVED, STAYS -> {
                onMoved(in, kind == MOVED);
                return;
            }
            default -> { }
        }
        long id = in.readLong();
        PlayerSession session = registry.find(id).orElse(null);
        if (session == null) {
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

    ClusterDirectory directory() {
        return directory;
    }
}
