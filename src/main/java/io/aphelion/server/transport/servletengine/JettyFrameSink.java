package io.aphelion.server.transport.servletengine;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

import io.aphelion.server.session.FrameSink;
import io.aphelion.server.support.Scheduler;
import io.aphelion.server.transport.rfc6455.WebSocketProtocol;
import io.aphelion.server.transport.AphelionWebSocketHandler;
import io.aphelion.server.transport.WritePump;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.jetty.JettyWebSocketSession;
import org.springframework.web.socket.handler.WebSocketSessionDecorator;

/**
 * {@link FrameSink} over Jetty's websocket session (the servlet engine): the same
 * {@link WritePump} as the native engine, one message per write, since each pulled frame is a
 * websocket message of its own here. Every write is asynchronous, so no thread waits for a slow
 * client. Thread-safe as Jetty's session is.
 */
public final class JettyFrameSink implements FrameSink, FrameSink.Writer, WritePump.Output<ByteBuffer> {

    private static final Logger log = LoggerFactory.getLogger(JettyFrameSink.class);

    private final Session session;
    private final InetSocketAddress remoteAddress;
    /** The node relaying this websocket (cluster mode), or null. */
    private final String relayedBy;
    private final WritePump<ByteBuffer> pump;
    private volatile Source source;

    // Writer thread only.
    /** The one frame of the write being gathered, or null. */
    private ByteBuffer gathered;

    /**
     * The servlet engine's {@link AphelionWebSocketHandler.ContainerFrameSinks}: Jetty's websocket
     * session under Spring's, with the send-time limit.
     */
    public static AphelionWebSocketHandler.ContainerFrameSinks factory(Scheduler timers, Duration sendTimeLimit) {
        return (webSocket, client) -> {
            WebSocketSession container = WebSocketSessionDecorator.unwrap(webSocket);
            if (!(container instanceof JettyWebSocketSession jetty)) {
                throw new IllegalStateException("The servlet engine runs on Jetty's websocket sessions, not on " + container);
            }
            Object relayedBy = webSocket.getAttributes().get(RelayLinkInterceptor.RELAYED_BY_ATTRIBUTE);
            return new JettyFrameSink(jetty.getNativeSession(), client, relayedBy instanceof String node ? node : null, timers,
                    sendTimeLimit);
        };
    }

    JettyFrameSink(Session session, InetSocketAddress remoteAddress, Scheduler timers, Duration sendTimeLimit) {
        this(session, remoteAddress, null, timers, sendTimeLimit);
    }

    JettyFrameSink(Session session, InetSocketAddress remoteAddress, String relayedBy, Scheduler timers, Duration sendTimeLimit) {
        this.session = session;
        this.remoteAddress = remoteAddress;
        this.relayedBy = relayedBy;
        this.pump = new WritePump<>(this, timers, sendTimeLimit);
    }

    @Override
    public void bind(Source source) {
        this.source = source;
    }

    @Override
    public void wake() {
        pump.wake();
    }

    @Override
    public void sendPing(ByteBuffer payload) {
        ByteBuffer copy = ByteBuffer.allocate(payload.remaining());
        copy.put(payload.duplicate()).flip();
        session.sendPing(copy, Callback.NOOP);
    }

    @Override
    public void close(int code, String reason) {
        pump.stop();
        session.close(code, WebSocketProtocol.truncateReason(reason), Callback.NOOP);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    @Override
    public String relayedBy() {
        return relayedBy;
    }

    // ---- FrameSink.Writer: one frame per write

    @Override
    public boolean fits(int length) {
        return gathered == null;
    }

    @Override
    public void binary(int ack, byte[] payload) {
        ByteBuffer frame = ByteBuffer.allocate(payload.length + (ack == NO_ACK ? 0 : 1));
        if (ack != NO_ACK) {
            frame.put((byte) ack);
        }
        gathered = frame.put(payload).flip();
    }

    // ---- WritePump.Output

    @Override
    public ByteBuffer gather() {
        Source source = this.source;
        if (source != null) {
            source.pull(this);
        }
        ByteBuffer frame = gathered;
        gathered = null;
        return frame;
    }

    @Override
    public void write(ByteBuffer frame, WritePump.Done done) {
        session.sendBinary(frame, new Callback() {
            @Override
            public void succeed() {
                done.succeeded();
            }

            @Override
            public void fail(Throwable cause) {
                done.failed(cause);
            }
        });
    }

    @Override
    public boolean written(ByteBuffer frame) {
        return true;
    }

    @Override
    public void failed(ByteBuffer frame, Throwable cause) {
        log.debug("Write to {} failed: {}", remoteAddress, cause.toString());
        session.disconnect();
    }

    @Override
    public void sendTimedOut(Duration limit) {
        log.debug("Dropping the websocket from {}: a write made no progress for {} ms (aphelion.websocket.send-time-limit)",
                remoteAddress, limit.toMillis());
        failed(null, new TimeoutException("No write progress within " + limit.toMillis() + " ms"));
    }
}
