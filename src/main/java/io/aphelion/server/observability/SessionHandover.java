package io.aphelion.server.observability;

/**
 * Where a stopping node's sessions can go instead of ending (cluster mode: to the other nodes).
 * {@link GracefulShutdown} asks it first; what it could not hand over then ends with
 * {@code SHUTDOWN} as on a single node.
 */
@FunctionalInterface
public interface SessionHandover {

    /** A single node: nowhere to go. */
    SessionHandover NONE = () -> 0;

    /**
     * Hands every session of this node to other nodes: their clients are closed with 1001 and come
     * back elsewhere with their tokens, where the sessions go on with their unacked messages.
     *
     * @return how many sessions were handed over (0 when there is no other node)
     */
    int handOverAll();
}
