package io.aphelion.server.session;

import java.nio.ByteBuffer;

/**
 * The way from a client's connection on this node to the node that owns its session (cluster
 * mode): the client's frames go there as they are, the owner's frames come back through
 * {@link ClientConnection#relayed(byte[])}, and the owner runs the session (acks, routing, the
 * game) exactly as for a connection of its own. Made by {@link SessionDirectory#relay}.
 *
 * <p>Thread-safe: frames come from the connection's reading thread, {@link #pulled} from its
 * sink's writer, the close from either.
 */
public interface Relay {

    /** A frame from the client, for the owner; copied before this returns. */
    void forward(ByteBuffer frame);

    /**
     * The sink wrote {@code frames} of the owner's frames to the client: room for as many more.
     * (The owner's frames wait in the connection, a bounded number at a time.)
     */
    void pulled(int frames);

    /**
     * The client's connection closed: by the client with {@code code} ({@code byClient}), which
     * the owner is told as the client's own close, or by this node or a drop, which reaches the
     * owner as a drop. Harmless when the relay is already closed.
     */
    void clientClosed(int code, boolean byClient);
}
