package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.time.Duration;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.FrameSink;

import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PongMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.BinaryWebSocketHandler;

/**
 * The websocket endpoint of both engines: every websocket's events, whether from the native
 * engine's own session or from Spring's own session on the servlet engine, end here, behind
 * admission and the application's decorators. It decodes nothing itself: it makes each
 * websocket's {@link ClientConnection}, which owns the protocol state, and routes the events to
 * it. Each websocket's connection lives in its {@link ClientConnectionHolder} (a field of the
 * native engine's session; an entry of a Spring session's attributes). A message's payload is
 * valid only during the call, as the native engine hands out views of its input buffer.
 *
 * <p>Called by the container, one callback at a time per websocket.
 */
public class AphelionWebSocketHandler extends BinaryWebSocketHandler {

    /** Upgrade attribute with the client's {@link InetSocketAddress} when a trusted proxy forwarded it (servlet engine). */
    public static final String CLIENT_ADDRESS_ATTRIBUTE = "aphelion.clientAddress";

    /** Upgrade attribute with the {@code System.currentTimeMillis()} at which the upgrade's socket was accepted (servlet engine). */
    public static final String ACCEPTED_AT_ATTRIBUTE = "aphelion.acceptedAt";

    private final ClientConnectionFactory connections;
    /** Sinks for Spring's own sessions (the servlet engine), which hold no {@link FrameSink} of their own. */
    private final ContainerFrameSinks containerSinks;

    /**
     * @param containerSinks how a websocket that is Spring's own session (the servlet engine) is
     *        written to; {@link ContainerFrameSinks#NONE} where every session is an engine's own
     */
    public AphelionWebSocketHandler(ClientConnectionFactory connections, ContainerFrameSinks containerSinks) {
        this.connections = connections;
        this.containerSinks = containerSinks;
    }

    /**
     * Makes the {@link FrameSink} of a websocket that is Spring's own session, written through
     * its container (the servlet engine's Jetty websocket session).
     */
    @FunctionalInterface
    public interface ContainerFrameSinks {

        /** For handlers whose websockets all hold their own sink: a Spring session is refused. */
        ContainerFrameSinks NONE = (webSocket, client) -> {
            throw new IllegalStateException("No sink for Spring's own websocket session " + webSocket);
        };

        /**
         * @param client the client's address, after any trusted proxy
         */
        FrameSink sinkFor(WebSocketSession webSocket, InetSocketAddress client);
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession webSocket) {
        ClientConnectionHolder holder = ClientConnectionHolder.of(webSocket);
        FrameSink sink = holder.frameSink();
        ClientConnection connection = connections.create(sink != null ? sink : containerSink(webSocket));
        holder.clientConnection(connection);
        long acceptedAt = holder.acceptedAtMillis();
        // The init timeout counts from the TCP accept when the engine knows when that was.
        connection.opened(acceptedAt > 0 ? Duration.ofMillis(Math.max(0, System.currentTimeMillis() - acceptedAt)) : Duration.ZERO);
    }

    /** A Spring session's sink, through its container, to the client a trusted proxy forwarded if one did. */
    private FrameSink containerSink(WebSocketSession webSocket) {
        Object forwarded = webSocket.getAttributes().get(CLIENT_ADDRESS_ATTRIBUTE);
        InetSocketAddress remote = forwarded instanceof InetSocketAddress address ? address : webSocket.getRemoteAddress();
        return containerSinks.sinkFor(webSocket, remote);
    }

    @Override
    protected void handleBinaryMessage(WebSocketSession webSocket, BinaryMessage message) {
        ClientConnection connection = connection(webSocket);
        if (connection != null) {
            connection.onFrame(message.getPayload());
        }
    }

    @Override
    protected void handleTextMessage(WebSocketSession webSocket, TextMessage message) {
        ClientConnection connection = connection(webSocket);
        if (connection != null) {
            connection.onText();
        }
    }

    @Override
    protected void handlePongMessage(WebSocketSession webSocket, PongMessage message) {
        ClientConnection connection = connection(webSocket);
        if (connection != null) {
            connection.onPong(message.getPayload());
        }
    }

    @Override
    public void handleTransportError(WebSocketSession webSocket, Throwable exception) {
        // The engine closes the websocket after a transport error; afterConnectionClosed follows.
    }

    @Override
    public void afterConnectionClosed(WebSocketSession webSocket, CloseStatus status) {
        ClientConnection connection = connection(webSocket);
        if (connection != null) {
            connection.onClosed(status.getCode());
        }
    }

    /** The websocket's connection; null when none was made (a decorator in front refused the websocket). */
    private static ClientConnection connection(WebSocketSession webSocket) {
        return ClientConnectionHolder.of(webSocket).clientConnection();
    }
}
