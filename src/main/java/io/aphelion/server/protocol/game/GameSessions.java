package io.aphelion.server.protocol.game;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

import com.google.protobuf.MessageLite;

import io.aphelion.server.session.Delivery;
import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.wire.WireFormat;

/**
 * Every live game session, so a {@link GameMessageService} can reach others without keeping a
 * registry of its own. A bean; thread-safe; views are weakly consistent (a session that starts or
 * ends during a broadcast may or may not get it).
 *
 * <p>In cluster mode ({@code aphelion.cluster.enabled}), {@link #find}, {@link #count},
 * {@link #broadcast(MessageLite)}, {@link #broadcast(MessageLite, Delivery)} and
 * {@link #broadcastWhere} are cluster-wide: every session of every node, each once. What takes a
 * {@link Predicate} or walks the sessions ({@link #forEach}) sees this node's sessions only, since
 * a predicate cannot travel; select other nodes' sessions by an attribute
 * ({@link GameSession#attribute(String, String)}) with {@link #broadcastWhere} instead.
 */
public final class GameSessions {

    private final SessionRegistry registry;
    private final OtherNodes otherNodes;

    public GameSessions(SessionRegistry registry) {
        this(registry, OtherNodes.NONE);
    }

    /** @param otherNodes the other nodes of the cluster ({@link OtherNodes#NONE} on a single node) */
    public GameSessions(SessionRegistry registry, OtherNodes otherNodes) {
        this.registry = registry;
        this.otherNodes = otherNodes;
    }

    /** A live game session by its id: this node's, or (cluster mode) another node's, which {@link GameSession} describes. */
    public Optional<GameSession<?>> find(long id) {
        Optional<GameSession<?>> local = findLocal(id);
        return local.isPresent() ? local : otherNodes.find(id);
    }

    /** A live game session of this node by its id. */
    public Optional<GameSession<?>> findLocal(long id) {
        return registry.find(id)
                .filter(session -> session.protocol() == WireFormat.PROTOCOL_GAME)
                .map(session -> (GameSession<?>) session.attachment());
    }

    /**
     * Sends a reliable message (the game's {@code S2C}) to every live game session, in the cluster
     * too; serializes it once.
     *
     * @return how many sessions of this node took it; in cluster mode 0, as every node (this one
     *         too) delivers it once it comes back from Redis, in the cluster's one order
     */
    public int broadcast(MessageLite message) {
        return broadcast(message, Delivery.RELIABLE);
    }

    /**
     * Sends a message to every live game session, in the cluster too; serializes it once.
     *
     * @return as {@link #broadcast(MessageLite)}
     */
    public int broadcast(MessageLite message, Delivery delivery) {
        return broadcastWhere(null, message, delivery);
    }

    /**
     * Sends a message to every live game session, in the cluster too, that has attribute
     * {@code attribute} set ({@link GameSession#attribute(String, String)}; null: to every
     * session); serializes it once.
     *
     * @return as {@link #broadcast(MessageLite)}
     */
    public int broadcastWhere(String attribute, MessageLite message, Delivery delivery) {
        byte[] payload = message.toByteArray();
        PlayerSession.requirePayload(payload);
        if (otherNodes.broadcast(payload, delivery, attribute)) {
            return 0; // every node, this one too, delivers it in the cluster's order of broadcasts
        }
        return deliverLocal(payload, delivery, attribute);
    }

    /**
     * Delivers a broadcast to this node's game sessions that have {@code attribute} set (all when
     * null): the local half of {@link #broadcastWhere}, and where other nodes' broadcasts arrive.
     *
     * @return how many sessions queued it
     */
    public int deliverLocal(byte[] payload, Delivery delivery, String attribute) {
        int[] sent = { 0 };
        registry.forEach(WireFormat.PROTOCOL_GAME, session -> {
            GameSession<?> handle = (GameSession<?>) session.attachment();
            if (handle != null && (attribute == null || handle.attribute(attribute) != null) && session.send(payload, delivery)) {
                sent[0]++;
            }
        });
        return sent[0];
    }

    /**
     * Sends a message to every live game session of this node that matches; serializes it once.
     * In a cluster, only this node's sessions: use {@link #broadcastWhere} to reach every node's.
     *
     * @return how many sessions queued it
     */
    public int broadcast(MessageLite message, Predicate<GameSession<?>> filter, Delivery delivery) {
        byte[] payload = message.toByteArray();
        PlayerSession.requirePayload(payload);
        int[] sent = { 0 };
        registry.forEach(WireFormat.PROTOCOL_GAME, session -> {
            GameSession<?> handle = (GameSession<?>) session.attachment();
            if (handle != null && filter.test(handle) && session.send(payload, delivery)) {
                sent[0]++;
            }
        });
        return sent[0];
    }

    /** Calls {@code action} for every live game session of this node. */
    public void forEach(Consumer<GameSession<?>> action) {
        registry.forEach(WireFormat.PROTOCOL_GAME, session -> {
            GameSession<?> handle = (GameSession<?>) session.attachment();
            if (handle != null) {
                action.accept(handle);
            }
        });
    }

    /**
     * Live game sessions, including those waiting to be resumed; in a cluster, of every node (the
     * other nodes' as of their last heartbeat).
     */
    public int count() {
        return registry.liveSessions(WireFormat.PROTOCOL_GAME) + otherNodes.count();
    }

}
