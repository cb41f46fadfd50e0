package io.aphelion.server.cluster;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import com.google.protobuf.MessageLite;

import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.session.Delivery;
import io.aphelion.server.session.PlayerSession;

/**
 * A game session that another node owns, as {@code GameSessions.find} returns it in cluster mode.
 * What changes the session is a command to the owner through Redis ({@link ClusterMessages}):
 * sends, closes and attributes take effect there, shortly after the call returns, and a send's
 * {@code true} means it was handed on, not that the owner queued it (if the session ended
 * meanwhile, the owner drops it). What reads the session asks the directory: {@link #isOpen},
 * {@link #connectionCount} (1 while it has any connection: how many the owner knows),
 * {@link #attribute(String)}, {@link #protocolVersion}. What only the owner knows is absent: the
 * address and the round-trip time are unknown here, and the {@link #attachment()} lives on the
 * owner alone (null here; setting it throws). Thread-safe.
 */
final class RemoteGameSession implements GameSession<MessageLite> {

    private final long id;
    private final String h;
    private final String owner;
    private final int version;
    private final ClusterRedis redis;
    private final ClusterMessages messages;

    private RemoteGameSession(long id, String h, String owner, int version, ClusterRedis redis, ClusterMessages messages) {
        this.id = id;
        this.h = h;
        this.owner = owner;
        this.version = version;
        this.redis = redis;
        this.messages = messages;
    }

    /**
     * The session with this id if a live node other than this one owns it; null otherwise (no such
     * session, or its owner is gone).
     *
     * @throws ClusterUnavailableException when Redis fails
     */
    static RemoteGameSession lookUp(long id, ClusterRedis redis, ClusterNodes nodes, ClusterMessages messages) {
        String h = redis.call("lookup-id", () -> redis.strings().opsForValue().get(redis.key("session-id:" + id)));
        if (h == null) {
            return null;
        }
        List<String> entry = redis.fields("lookup", redis.key("session:" + h), "owner", "protocol", "version");
        String owner = entry.get(0);
        if (owner == null || owner.equals(nodes.id()) || !"2".equals(entry.get(1)) || nodes.peer(owner) == null) {
            return null;
        }
        return new RemoteGameSession(id, h, owner, parse(entry.get(2)), redis, messages);
    }

    private static int parse(String value) {
        try {
            return Integer.parseInt(value);
        }
        catch (NumberFormatException ex) {
            return 0;
        }
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public boolean send(MessageLite message) {
        return sendPayload(message, Delivery.RELIABLE);
    }

    @Override
    public boolean sendVolatile(MessageLite message) {
        return sendPayload(message, Delivery.VOLATILE);
    }

    private boolean sendPayload(MessageLite message, Delivery delivery) {
        byte[] payload = message.toByteArray();
        PlayerSession.requirePayload(payload);
        messages.send(owner, id, payload, delivery);
        return true;
    }

    @Override
    public void close(String reason) {
        messages.close(owner, id, reason);
    }

    /** Asks the owner to end the session if the directory says it has no connection; true when it was asked. */
    @Override
    public boolean closeIfDetached(String reason) {
        if (!"detached".equals(field("state"))) {
            return false;
        }
        messages.closeIfDetached(owner, id);
        return true;
    }

    @Override
    public boolean isOpen() {
        return field("owner") != null;
    }

    @Override
    public int connectionCount() {
        return "live".equals(field("state")) ? 1 : 0;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return null;
    }

    @Override
    public int protocolVersion() {
        return version;
    }

    @Override
    public Optional<Duration> roundTripTime() {
        return Optional.empty();
    }

    @Override
    public String attribute(String name) {
        return field("attr:" + name);
    }

    @Override
    public void attribute(String name, String value) {
        messages.setAttribute(owner, id, name, value);
    }

    @Override
    public Object attachment() {
        return null;
    }

    @Override
    public void attachment(Object value) {
        throw new UnsupportedOperationException("Session " + id + " lives on node " + owner
                + ": its attachment can only be set there (attributes travel, attachments do not)");
    }

    private String field(String name) {
        return redis.field("session-field", redis.key("session:" + h), name);
    }

    @Override
    public String toString() {
        return "GameSession " + id + " (on node " + owner + ")";
    }
}
