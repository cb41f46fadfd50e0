package io.aphelion.server.transport;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.FrameSink;

import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.WebSocketSessionDecorator;

/**
 * A websocket session that keeps Aphelion's state of its websocket in fields of its own: the
 * native engine's {@code NativeWebSocketSession}. {@link AphelionWebSocketHandler} and
 * {@link AdmissionWebSocketHandlerDecorator} read and write these instead of the session's
 * attributes, so an idle websocket holds no attributes map and a frame costs no map look-up.
 * Spring's own sessions (the servlet engine) do not implement it: for them the same state lives in
 * their attributes map, which Spring makes for every session anyway.
 *
 * <p>Implementations are thread-safe: each value is set once, by the thread that opens the
 * websocket, and read by whichever thread handles or closes it.
 */
public interface ClientConnectionHolder {

    /** Where the connection made for this websocket writes its frames. */
    FrameSink frameSink();

    /** {@code System.currentTimeMillis()} when the websocket's socket was accepted. */
    long acceptedAtMillis();

    /** The connection {@link AphelionWebSocketHandler} made for this websocket; null before, and forever when it made none. */
    ClientConnection clientConnection();

    void clientConnection(ClientConnection connection);

    /** Whether admission refused this websocket (shutting down): the handlers behind it never hear of it. */
    boolean refused();

    void refuse();

    /**
     * The holder behind a session, looking through {@link WebSocketSessionDecorator}s an
     * application's handler decorator may have put around it; null for Spring's own sessions.
     */
    static ClientConnectionHolder of(WebSocketSession webSocket) {
        if (webSocket instanceof ClientConnectionHolder holder) {
            return holder;
        }
        return webSocket instanceof WebSocketSessionDecorator decorator
                && decorator.getLastSession() instanceof ClientConnectionHolder holder ? holder : null;
    }
}
