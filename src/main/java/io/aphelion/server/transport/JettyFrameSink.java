package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import io.aphelion.server.session.FrameSink;
import io.aphelion.server.transport.rfc6455.WebSocketProtocol;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * {@link FrameSink} over Jetty's native websocket session: every write is asynchronous, so no
 * thread waits for a slow client. Thread-safe as Jetty's session is.
 */
final class JettyFrameSink implements FrameSink {

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
    public void sendPing(ByteBuffer payload) {
        ByteBuffer copy = ByteBuffer.allocate(payload.remaining());
        copy.put(payload.duplicate()).flip();
        session.sendPing(copy, Callback.NOOP);
    }

    @Override
    public void close(int code, String reason) {
        session.close(code, WebSocketProtocol.truncateReason(reason), Callback.NOOP);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }
}
