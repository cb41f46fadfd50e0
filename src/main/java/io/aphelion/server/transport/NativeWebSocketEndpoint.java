package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import io.aphelion.server.session.Connection;
import io.aphelion.wire.CloseCodes;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One websocket of the native engine ({@code aphelion.websocket.engine=native}): Jetty's own
 * listener, with no servlet request and no Spring adapter behind it. Does what
 * {@link AdmissionWebSocketHandlerDecorator} and {@link AphelionWebSocketHandler} do for the
 * servlet engine: admission, then routing each callback to the websocket's {@link Connection}.
 * A binary frame is handed to the connection in Jetty's own buffer, without a copy: the
 * connection decodes it before {@link #onWebSocketBinary} returns.
 *
 * <p>Public because Jetty calls the listener methods through method handles. Called by Jetty,
 * one callback at a time; {@link #close} may come from any thread.
 */
public final class NativeWebSocketEndpoint implements Session.Listener.AutoDemanding, OpenWebSockets.WebSocket {

    private static final Logger log = LoggerFactory.getLogger(NativeWebSocketEndpoint.class);

    private final OpenWebSockets openWebSockets;
    private final ConnectionFactory connections;
    /** The client's address, after any trusted proxy. */
    private final InetSocketAddress remoteAddress;

    /** Jetty's session, set once on open; null before. */
    private volatile Session session;
    /** The connection, set once on open; null before, and forever when admission refused it. */
    private volatile Connection connection;

    NativeWebSocketEndpoint(OpenWebSockets openWebSockets, ConnectionFactory connections,
            InetSocketAddress remoteAddress) {
        this.openWebSockets = openWebSockets;
        this.connections = connections;
        this.remoteAddress = remoteAddress;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        if (!openWebSockets.admit(this)) {
            log.debug("Refusing websocket from {}: shutting down", remoteAddress);
            close(CloseCodes.GOING_AWAY, AdmissionWebSocketHandlerDecorator.SHUTTING_DOWN.getReason());
            return;
        }
        Connection opened = connections.create(new JettyFrameSink(session, remoteAddress));
        connection = opened;
        opened.opened();
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        Connection connection = this.connection;
        if (connection != null) {
            connection.onFrame(payload);
        }
        callback.succeed();
    }

    @Override
    public void onWebSocketText(String message) {
        Connection connection = this.connection;
        if (connection != null) {
            connection.onText();
        }
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        Connection connection = this.connection;
        if (connection != null) {
            connection.onPong();
        }
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        // Jetty closes the websocket after an error; onWebSocketClose follows.
    }

    @Override
    public void onWebSocketClose(int code, String reason) {
        try {
            Connection connection = this.connection;
            if (connection != null) {
                connection.onClosed(code);
            }
        }
        finally {
            openWebSockets.closed(this);
        }
    }

    @Override
    public void close(int code, String reason) {
        Session session = this.session;
        if (session != null) {
            session.close(code, JettyFrameSink.truncate(reason), Callback.NOOP);
        }
    }

    @Override
    public String toString() {
        return "websocket from " + remoteAddress;
    }
}
