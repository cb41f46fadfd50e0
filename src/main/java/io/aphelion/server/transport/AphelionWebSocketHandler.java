package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

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
 * engine's own session ({@link ClientConnectionHolder}) or from Spring's own session on the servlet engine, end
 * here, behind admission and the application's decorators. It decodes nothing itself: it makes
 * each websocket's {@link ClientConnection}, which owns the protocol state, and routes the events
 * to it.
 *
 * <p>Where each websocket's connection lives: in a field of the session when the session keeps it
 * ({@link ClientConnectionHolder}, the native engine: no map per websocket, no look-up per frame),
 * else in the session's attributes (Spring's sessions, which have that map anyway). A message's
 * payload is valid only during the call, as the native engine hands out views of its input buffer.
 *
 * <p>Called by the container, one callback at a time per websocket.
 */
public class AphelionWebSocketHandler extends BinaryWebSocketHandler {

    /** Upgrade attribute with the client's {@link InetSocketAddress} when a trusted proxy forwarded it (servlet engine). */
    public static final String CLIENT_ADDRESS_ATTRIBUTE = "aphelion.clientAddress";

    /** Upgrade attribute with the {@code System.currentTimeMillis()} at which the upgrade's socket was accepted (servlet engine). */
    public static final String ACCEPTED_AT_ATTRIBUTE = "aphelion.acceptedAt";

    private static final String CONNECTION_ATTRIBUTE = "aphelion.connection";

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
        ClientConnection connection;
        long acceptedAt;
        if (holder != null) {
            connection = connections.create(holder.frameSink());
            holder.clientConnection(connection);
            acceptedAt = holder.acceptedAtMillis();
        }
        else {
            Map<String, Object> attributes = webSocket.getAttributes();
            connection = connections.create(springFrameSink(webSocket, attributes));
            attributes.put(CONNECTION_ATTRIBUTE, connection);
            acceptedAt = attributes.get(ACCEPTED_AT_ATTRIBUTE) instanceof Long millis ? millis : 0;
        }
        // The init timeout counts from the TCP accept when the engine knows when that was.
        connection.opened(acceptedAt > 0 ? Duration.ofMillis(Math.max(0, System.currentTimeMillis() - acceptedAt)) : Duration.ZERO);
    }

    /** Writes through the container, to the client a trusted proxy forwarded if one did. */
    private FrameSink springFrameSink(WebSocketSession webSocket, Map<String, Object> attributes) {
        Object forwarded = attributes.get(CLIENT_ADDRESS_ATTRIBUTE);
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
        if (webSocket instanceof ClientConnectionHolder holder) {
            return holder.clientConnection();
        }
        ClientConnectionHolder holder = ClientConnectionHolder.of(webSocket);
        return holder != null ? holder.clientConnection() : (ClientConnection) webSocket.getAttributes().get(CONNECTION_ATTRIBUTE);
    }
}
