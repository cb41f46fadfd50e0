package io.aphelion.server.session;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The writing side of one websocket: the seam between a connection's delivery state and a
 * container (the native engine's socket, Jetty's websocket session, a fake in tests).
 *
 * <p><b>Pull, not push.</b> The connection never hands the sink a frame. It says there is
 * something to write ({@link #wake}); the sink, when it can write, asks its {@link Source} for
 * the next frames ({@link Source#pull}) and encodes them at once into its own output buffer. So a
 * frame waits in exactly one queue (the connection's), is encoded once, and leaves in the order it
 * was queued; and a socket that does not take bytes stops pulling, which is the back pressure.
 *
 * <p>Thread-safe: {@link #wake}, {@link #sendPing} and {@link #close} come from any thread at any
 * time and never block; the sink pulls from one thread at a time.
 */
public interface FrameSink {

    /** Binds the connection this sink pulls from. Called once, by the connection, before anything else. */
    void bind(Source source);

    /**
     * There may be something to write: the sink pulls from its source as soon as its writer is
     * free (now, when the write in progress completes, or when the batch being read ends). Cheap
     * and harmless when there is nothing.
     */
    void wake();

    /**
     * Like {@link #wake}, but at once even where wakes are deferred (during a read batch): the
     * connection is about to close, and what it queued so far (its init reply above all) must
     * leave ahead of the close frame.
     */
    default void flush() {
        wake();
    }

    /**
     * Sends a websocket ping frame with this payload (at most 125 bytes). The sink copies the
     * payload before it returns and leaves the buffer's position and limit alone: the caller
     * reuses the buffer for the next ping.
     */
    void sendPing(ByteBuffer payload);

    /** Sends a close frame with this code and reason, then closes; harmless when already closed. */
    void close(int code, String reason);

    /** The client's address (after any trusted proxy), for logs and the session handle. */
    InetSocketAddress remoteAddress();

    /**
     * The id of the cluster node that relays this websocket for its client (its upgrade carried
     * that node's verified relay credentials), or null for a client's own websocket.
     */
    default String relayedBy() {
        return null;
    }

    /** What a sink pulls frames from: the connection. */
    interface Source {

        /**
         * Writes the frames that wait, oldest first, into {@code out} while they fit. Called by the
         * sink's writer only, one call at a time.
         */
        void pull(Writer out);
    }

    /** Where a pulled frame is encoded: the sink's output buffer. */
    interface Writer {

        /** {@link #binary}'s {@code ack} for a frame without an ack byte (the init reply). */
        int NO_ACK = -1;

        /**
         * Whether one more binary frame of {@code length} bytes (ack byte included) fits into the
         * write being gathered. True for the first frame of a write, whatever its size.
         */
        boolean fits(int length);

        /**
         * Adds one binary frame: the ack byte ({@code 0..127}, or {@link #NO_ACK} for none) and
         * then the payload, copied at once.
         */
        void binary(int ack, byte[] payload);
    }
}
