package io.aphelion.server.transport;

import java.util.Map;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.FrameSink;

import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.WebSocketSessionDecorator;

/**
 * Aphelion's state of one websocket, kept once per session: its sink, when its socket was
 * accepted, its connection, and whether admission refused it. {@link AphelionWebSocketHandler}
 * and {@link AdmissionWebSocketHandlerDecorator} read and write only this, whichever engine serves
 * the websocket ({@link #of}).
 *
 * <p>The native engine's {@code NativeWebSocketSession} is its own holder: fields, no attributes
 * map, no look-up per frame. Spring's own sessions (the servlet engine) get one made on first use
 * and kept in their attributes map, which Spring makes for every session anyway.
 *
 * <p>Implementations are thread-safe: each value is set once, by the thread that opens the
 * websocket, and read by whichever thread handles or closes it.
 */
public interface ClientConnectionHolder {

    /** Where the connection made for this websocket writes its frames; null for Spring's own sessions, which write through their container. */
    FrameSink frameSink();

    /** {@code System.currentTimeMillis()} when the websocket's socket was accepted; 0 when not known. */
    long acceptedAtMillis();

    /** The connection {@link AphelionWebSocketHandler} made for this websocket; null before, and forever when it made none. */
    ClientConnection clientConnection();

    void clientConnection(ClientConnection connection);

    /** Whether admission refused this websocket (shutting down): the handlers behind it never hear of it. */
    boolean refused();

    void refuse();

    /**
     * The holder of a session, looking through {@link WebSocketSessionDecorator}s an application's
     * handler decorator may have put around it; for Spring's own sessions the one in its attributes,
     * made the first time.
     */
    static ClientConnectionHolder of(WebSocketSession webSocket) {
        if (webSocket instanceof ClientConnectionHolder holder) {
            return holder;
        }
        if (webSocket instanceof WebSocketSessionDecorator decorator
                && decorator.getLastSession() instanceof ClientConnectionHolder holder) {
            return holder;
        }
        Map<String, Object> attributes = webSocket.getAttributes();
        Object held = attributes.get(InAttributes.ATTRIBUTE);
        return held != null ? (ClientConnectionHolder) held
                : (ClientConnectionHolder) attributes.computeIfAbsent(InAttributes.ATTRIBUTE, key -> new InAttributes(attributes));
    }

    /** The connection and the refusal in fields: what every holder keeps the same way. */
    abstract class Base implements ClientConnectionHolder {

        private volatile ClientConnection connection;
        private volatile boolean refused;

        @Override
        public final ClientConnection clientConnection() {
            return connection;
        }

        @Override
        public final void clientConnection(ClientConnection connection) {
            this.connection = connection;
        }

        @Override
        public final boolean refused() {
            return refused;
        }

        @Override
        public final void refuse() {
            refused = true;
        }
    }

    /** The holder of a Spring session, in its attributes; the accept time is what the servlet engine's interceptor recorded. */
    final class InAttributes extends Base {

        static final String ATTRIBUTE = "aphelion.holder";

        private final Map<String, Object> attributes;

        InAttributes(Map<String, Object> attributes) {
            this.attributes = attributes;
        }

        @Override
        public FrameSink frameSink() {
            return null;
        }

        @Override
        public long acceptedAtMillis() {
            return attributes.get(AphelionWebSocketHandler.ACCEPTED_AT_ATTRIBUTE) instanceof Long millis ? millis : 0;
        }
    }
}
