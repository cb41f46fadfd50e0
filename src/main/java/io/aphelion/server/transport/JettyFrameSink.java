package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * {@link FrameSink} over Jetty's native websocket session: every write is asynchronous, so no
 * thread waits for a slow client. Thread-safe as Jetty's session is.
 */
final class JettyFrameSink implements FrameSink {

    /** A close reason is at most 123 bytes of UTF-8 (RFC 6455 5.5.1: 125 minus the code). */
    static final int MAX_CLOSE_REASON_BYTES = 123;

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final Session session;
    private final InetSocketAddress remoteAddress;

    JettyFrameSink(Session session, InetSocketAddress remoteAddress) {
        this.session = session;
        this.remoteAddress = remoteAddress;
    }

    @Override
    public void sendBinary(ByteBuffer frame, WriteCallback callback) {
        session.sendBinary(frame, new Callback() {
            @Override
            public void succeed() {
                callback.succeeded();
            }

            @Override
            public void fail(Throwable cause) {
                callback.failed(cause);
            }
        });
    }

    @Override
    public void sendPing() {
        session.sendPing(EMPTY.duplicate(), Callback.NOOP);
    }

    @Override
    public void close(int code, String reason) {
        session.close(code, truncate(reason), Callback.NOOP);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    static String truncate(String reason) {
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_CLOSE_REASON_BYTES) {
            return reason;
        }
        int end = reason.length();
        while (reason.substring(0, end).getBytes(StandardCharsets.UTF_8).length > MAX_CLOSE_REASON_BYTES) {
            end--;
        }
        return reason.substring(0, end);
    }
}
