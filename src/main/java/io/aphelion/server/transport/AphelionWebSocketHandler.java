package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.time.Duration;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.support.Scheduler;

import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PongMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.jetty.JettyWebSocketSession;
import org.springframework.web.socket.handler.BinaryWebSocketHandler;

/**
 * The websocket endpoint: decodes nothing itself, only routes container callbacks to the
 * websocket's {@link ClientConnection}, which owns the protocol state.
 *
 * <p>Called by the container, one callback at a time per websocket.
 */
public class AphelionWebSocketHandler extends BinaryWebSocketHandler {

    /** Handshake attribute with the client's {@link InetSocketAddress} when a trusted proxy forwarded it. */
    public static final String CLIENT_ADDRESS_ATTRIBUTE = "aphelion.clientAddress";

    /** Handshake attribute with the {@code System.currentTimeMillis()} at which the upgrade's socket was accepted. */
    public static final String ACCEPTED_AT_ATTRIBUTE = "aphelion.acceptedAt";

    private static final String CONNECTION_ATTRIBUTE = "aphelion.connection";

    private final ClientConnectionFactory connections;
    /** For the servlet engine's send-time limit. */
    private final Scheduler timers;
    private final Duration sendTimeLimit;

    /**
     * @param sendTimeLimit longest time one write may take on the servlet engine (zero: no limit)
     */
    public AphelionWebSocketHandler(ClientConnectionFactory connections, Scheduler timers, Duration sendTimeLimit) {
        this.connections = connections;
        this.timers = timers;
        this.sendTimeLimit = sendTimeLimit;
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession webSocket) {
        JettyWebSocketSession jetty = (JettyWebSocketSession) webSocket;
        Object forwarded = webSocket.getAttributes().get(CLIENT_ADDRESS_ATTRIBUTE);
        InetSocketAddress remote = forwarded instanceof InetSocketAddress address ? address : webSocket.getRemoteAddress();
        ClientConnection connection = connections.create(new JettyFrameSink(jetty.getNativeSession(), remote, timers, sendTimeLimit));
        webSocket.getAttributes().put(CONNECTION_ATTRIBUTE, connection);
        // The init timeout counts from the TCP accept when the container told us when that was.
        Object acceptedAt = webSocket.getAttributes().get(ACCEPTED_AT_ATTRIBUTE);
        connection.opened(acceptedAt instanceof Long millis
                ? Duration.ofMillis(Math.max(0, System.currentTimeMillis() - millis)) : Duration.ZERO);
    }

    @Override
    protected void handleBinaryMessage(WebSocketSession webSocket, BinaryMessage message) {
        connection(webSocket).onFrame(message.getPayload());
    }

    @Override
    protected void handleTextMessage(WebSocketSession webSocket, TextMessage message) {
        connection(webSocket).onText();
    }

    @Override
    protected void handlePongMessage(WebSocketSession webSocket, PongMessage message) {
        connection(webSocket).onPong(message.getPayload());
    }

    @Override
    public void handleTransportError(WebSocketSession webSocket, Throwable exception) {
        // Jetty closes the websocket after a transport error; afterConnectionClosed follows.
    }

    @Override
    public void afterConnectionClosed(WebSocketSession webSocket, CloseStatus status) {
        ClientConnection connection = (ClientConnection) webSocket.getAttributes().get(CONNECTION_ATTRIBUTE);
        if (connection != null) {
            connection.onClosed(status.getCode());
        }
    }

    private static ClientConnection connection(WebSocketSession webSocket) {
        return (ClientConnection) webSocket.getAttributes().get(CONNECTION_ATTRIBUTE);
    }
}
