package io.aphelion.server.session;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The writing side of one websocket, asynchronous: the seam between the transport's state and a
 * container (Jetty here; a fake in tests).
 *
 * <p>The caller keeps at most one {@link #sendBinary} outstanding per websocket; pings and
 * closes may come from any thread at any time.
 */
public interface FrameSink {

    /**
     * Writes one binary frame; exactly one of the callback's methods is called when done, possibly
     * before this method returns.
     */
    void sendBinary(ByteBuffer frame, WriteCallback callback);

    /** Sends a websocket ping frame with this payload (at most 125 bytes; the sink copies it). */
    void sendPing(ByteBuffer payload);

    /** Sends a close frame with this code and reason, then closes; harmless when already closed. */
    void close(int code, String reason);

    /** The client's address (after any trusted proxy), for logs and the session handle. */
    InetSocketAddress remoteAddress();

    /** Completion of one {@link #sendBinary}. */
    interface WriteCallback {

        void succeeded();

        void failed(Throwable cause);
    }
}
