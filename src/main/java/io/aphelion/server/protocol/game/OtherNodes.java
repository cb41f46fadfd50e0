package io.aphelion.server.protocol.game;

import java.util.Optional;

import io.aphelion.server.session.Delivery;

/**
 * How {@link GameSessions} reaches the game sessions that other nodes of a cluster own (cluster
 * mode; {@link #NONE} on a single node). Each session is owned by exactly one node, so a broadcast
 * that every node delivers to its own sessions reaches each session once.
 */
public interface OtherNodes {

    /** A single node: there are no others. */
    OtherNodes NONE = new OtherNodes() {
    };

    /**
     * Hands a broadcast to every node, which delivers it to its own game sessions (those with
     * attribute {@code attribute} set, when it is not null). Does not wait for them.
     *
     * @return true when this node's sessions get it that way too (the cluster's one order of
     *         broadcasts, which sessions moving between nodes rely on); false when the caller
     *         delivers to this node's sessions itself (a single node)
     */
    default boolean broadcast(byte[] payload, Delivery delivery, String attribute) {
        return false;
    }

    /** A game session another node owns, by id. */
    default Optional<GameSession<?>> find(long id) {
        return Optional.empty();
    }

    /** Live game sessions on the other nodes (at their last heartbeats). */
    default int count() {
        return 0;
    }
}
