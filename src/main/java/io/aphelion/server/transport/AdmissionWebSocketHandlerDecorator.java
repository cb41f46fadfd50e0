package io.aphelion.server.transport;

import java.io.IOException;
import java.io.UncheckedIOException;

import io.aphelion.wire.CloseCodes;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;

/**
 * Admission, the outermost handler of both engines: records every websocket in
 * {@link OpenWebSockets} and, once the server stops admitting (graceful shutdown), closes each new
 * one with 1001 before any handler behind it (the application's decorators, then
 * {@link AphelionWebSocketHandler}) ever hears of it.
 *
 * <p>A refused websocket is marked in its {@link ClientConnectionHolder}; a native session is
 * tracked as itself, a Spring session through a small view of it.
 *
 * <p>Called by the engine, one callback at a time per websocket.
 */
public final class AdmissionWebSocketHandlerDecorator extends WebSocketHandlerDecorator {

    private static final Logger log = LoggerFactory.getLogger(AdmissionWebSocketHandlerDecorator.class);

    /** Close sent to a websocket that arrives while the server shuts down. */
    public static final CloseStatus SHUTTING_DOWN = new CloseStatus(CloseCodes.GOING_AWAY, OpenWebSockets.SHUTTING_DOWN_REASON);

    private final OpenWebSockets openWebSockets;

    public AdmissionWebSocketHandlerDecorator(WebSocketHandler delegate, OpenWebSockets openWebSockets) {
        super(delegate);
        this.openWebSockets = openWebSockets;
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession webSocket) throws Exception {
        if (!openWebSockets.admit(tracked(webSocket))) {
            refuse(webSocket);
            log.debug("Refusing websocket from {}: shutting down", webSocket.getRemoteAddress());
            webSocket.close(SHUTTING_DOWN);
            return;
        }
        super.afterConnectionEstablished(webSocket);
    }

    @Override
    public void handleMessage(WebSocketSession webSocket, WebSocketMessage<?> message) throws Exception {
        if (!refused(webSocket)) {
            super.handleMessage(webSocket, message);
        }
    }

    @Override
    public void handleTransportError(WebSocketSession webSocket, Throwable exception) throws Exception {
        if (!refused(webSocket)) {
            super.handleTransportError(webSocket, exception);
        }
    }

    @Override
    public void afterConnectionClosed(WebSocketSession webSocket, CloseStatus closeStatus) throws Exception {
        try {
            if (!refused(webSocket)) {
                super.afterConnectionClosed(webSocket, closeStatus);
            }
        }
        finally {
            openWebSockets.closed(tracked(webSocket));
        }
    }

    /** The websocket as {@link OpenWebSockets} tracks it: equal for the same session. */
    private static OpenWebSockets.WebSocket tracked(WebSocketSession webSocket) {
        return webSocket instanceof OpenWebSockets.WebSocket own ? own : new SpringWebSocket(webSocket);
    }

    private static void refuse(WebSocketSession webSocket) {
        ClientConnectionHolder.of(webSocket).refuse();
    }

    private static boolean refused(WebSocketSession webSocket) {
        return ClientConnectionHolder.of(webSocket).refused();
    }

    /** A Spring websocket as {@link OpenWebSockets} sees it; equal for the same session. */
    private record SpringWebSocket(WebSocketSession session) implements OpenWebSockets.WebSocket {

        @Override
        public void close(int code, String reason) {
            try {
                session.close(new CloseStatus(code, reason));
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }
}
