package io.aphelion.server.transport.nativeengine;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.FrameSink;
import io.aphelion.server.transport.rfc6455.WebSocketProtocol;
import io.aphelion.wire.CloseCodes;
import io.aphelion.server.transport.ClientConnectionHolder;
import io.aphelion.server.transport.AphelionWebSocketHandler;
import io.aphelion.server.transport.OpenWebSockets;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpHeaders;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PingMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketExtension;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;

/**
 * Spring's {@link WebSocketSession} over a {@link JettyWebSocket}, the native engine's own RFC 6455
 * connection, as Spring has one such adapter per container: through it the native engine hands
 * every websocket's events to the same decorated {@link WebSocketHandler} as the servlet engine
 * (admission, the application's {@code WebSocketHandlerDecoratorFactory} beans, then
 * {@link AphelionWebSocketHandler}), so the application's decorators work on both engines.
 *
 * <p>The events, from {@link JettyWebSocket}: {@code afterConnectionEstablished} when the
 * websocket opens; {@code handleMessage} with a {@link BinaryMessage} per binary message, a
 * {@link org.springframework.web.socket.PongMessage} per pong, and {@link #TEXT_FRAME} for a text
 * message; {@code afterConnectionClosed} once, with the client's close frame (its code and
 * reason), a protocol violation (the code we closed with: 1002, 1007, 1009) or the socket's end
 * ({@link CloseStatus#NO_CLOSE_FRAME}, 1006), whichever comes first. A handler that throws closes
 * the websocket with 1011, as Spring's {@code ExceptionWebSocketHandlerDecorator} does on the
 * servlet engine. Websocket pings from the client are answered by the engine, and the pieces of a
 * fragmented message arrive as the whole message: Spring's handler API has no message for either,
 * so they reach no handler, yet both count against the connection's rate limit
 * ({@link ClientConnection#countFrame()}, through the connection this session holds).
 *
 * <p>Where it differs from Spring's adapters, to stay one small object per websocket (heap per
 * idle websocket is budgeted):
 * <ul>
 * <li>A message's payload is a view of the engine's input buffer, valid only during the
 * {@code handleMessage} call: a handler that keeps it copies it.
 * <li>A text message is refused from its first frame's header (1003), so {@link #TEXT_FRAME} has
 * an empty payload: the text itself is never read.
 * <li>{@link #getHandshakeHeaders()} is empty: the upgrade request's headers are not kept.
 * {@link #getUri()} is the request's path and query as a relative URI (no scheme, no host).
 * {@link #getPrincipal()} is null (the native engine authenticates no one: the protocol's auth is
 * in-band), {@link #getAcceptedProtocol()} is null and {@link #getExtensions()} is empty (none is
 * negotiated).
 * <li>{@link #getAttributes()} is an empty map made the first time someone asks for it.
 * <li>{@link #getRemoteAddress()} is the client's address after trusted proxies (port 0 when a
 * proxy forwarded it), the address the session handles report.
 * <li>Both message size limits are {@code aphelion.websocket.max-message-size} and cannot be changed per websocket.
 * <li>{@link #sendMessage} sends whole binary and ping messages, asynchronously (see there).
 * </ul>
 *
 * <p>Threads: the handler is called on the websocket's reading thread, one call at a time
 * ({@code afterConnectionClosed} possibly on the thread that closed the socket, still once);
 * {@link #sendMessage} and {@link #close} may be called from any thread. Each field is set once
 * (the lazy ones by compare-and-set), so the class is thread-safe without a lock.
 */
final class NativeWebSocketSession extends ClientConnectionHolder.Base implements WebSocketSession, OpenWebSockets.WebSocket {

    private static final Logger log = LoggerFactory.getLogger(NativeWebSocketSession.class);

    /** What a text message arrives as: refused from its header, its text is never read. */
    static final TextMessage TEXT_FRAME = new TextMessage("");

    /** Source of {@link #getId()}: unique in the process. */
    private static final AtomicLong IDS = new AtomicLong();

    private static final VarHandle ATTRIBUTES;
    private static final VarHandle ID;
    private static final VarHandle CLOSED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ATTRIBUTES = lookup.findVarHandle(NativeWebSocketSession.class, "attributes", Map.class);
            ID = lookup.findVarHandle(NativeWebSocketSession.class, "id", String.class);
            CLOSED = lookup.findVarHandle(NativeWebSocketSession.class, "closed", boolean.class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final JettyWebSocket webSocket;
    private final NativeEndpoint endpoint;
    /** The request's path and query; {@link NativeEndpoint#path()} itself when it had no query. */
    private final URI uri;
    /** Whether the handler heard {@code afterConnectionClosed}: it hears it once. */
    private volatile boolean closed;
    /** Made the first time {@link #getAttributes()} is called; null until then. */
    private volatile Map<String, Object> attributes;
    /** Made the first time {@link #getId()} is called; null until then. */
    private volatile String id;

    NativeWebSocketSession(JettyWebSocket webSocket, NativeEndpoint endpoint, URI uri) {
        this.webSocket = webSocket;
        this.endpoint = endpoint;
        this.uri = uri;
    }

    NativeEndpoint endpoint() {
        return endpoint;
    }

    // ---- Events from the JettyWebSocket (its reading thread, or the closing thread for closed)

    /** The websocket opened: {@code afterConnectionEstablished}. */
    void opened() {
        try {
            endpoint.handler().afterConnectionEstablished(this);
        }
        catch (Exception ex) {
            handlerFailed(ex);
        }
    }

    /** A message arrived: {@code handleMessage}. */
    void received(WebSocketMessage<?> message) {
        try {
            endpoint.handler().handleMessage(this, message);
        }
        catch (Exception ex) {
            handlerFailed(ex);
        }
    }

    /** A frame arrived that no handler hears of (a ping, a piece of a fragmented message): it still counts against the rate limit. */
    void countFrame() {
        ClientConnection connection = clientConnection();
        if (connection != null) {
            connection.countFrame();
        }
    }

    /** The websocket closed, or the client's close frame arrived: {@code afterConnectionClosed}, the first time only. */
    void closed(CloseStatus status) {
        if (!CLOSED.compareAndSet(this, false, true)) {
            return;
        }
        try {
            endpoint.handler().afterConnectionClosed(this, status);
        }
        catch (Exception ex) {
            log.error("Handler failed after websocket from {} closed with {}", webSocket.remoteAddress(), status, ex);
        }
    }

    private void handlerFailed(Exception ex) {
        log.error("Closing websocket from {} with 1011: its handler failed", webSocket.remoteAddress(), ex);
        close(CloseCodes.INTERNAL_ERROR, "Internal error");
    }

    // ---- ClientConnectionHolder

    @Override
    public FrameSink frameSink() {
        return webSocket;
    }

    @Override
    public long acceptedAtMillis() {
        return webSocket.getEndPoint().getCreatedTimeStamp();
    }

    // ---- WebSocketSession

    @Override
    public String getId() {
        String current = id;
        return current != null ? current : (String) once(ID, () -> Long.toHexString(IDS.incrementAndGet()));
    }

    /** The value of a field set once: made now, unless another thread set it first. */
    private Object once(VarHandle field, Supplier<Object> make) {
        Object fresh = make.get();
        Object won = field.compareAndExchange(this, null, fresh);
        return won != null ? won : fresh;
    }

    @Override
    public URI getUri() {
        return uri;
    }

    /** Empty: the upgrade request's headers are not kept (heap per websocket). */
    @Override
    public HttpHeaders getHandshakeHeaders() {
        return HttpHeaders.EMPTY;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Map<String, Object> getAttributes() {
        Map<String, Object> current = attributes;
        return current != null ? current : (Map<String, Object>) once(ATTRIBUTES, ConcurrentHashMap::new);
    }

    /** Null: the native engine authenticates no one (the protocol's authentication is in-band). */
    @Override
    public Principal getPrincipal() {
        return null;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return webSocket.getEndPoint().getLocalSocketAddress() instanceof InetSocketAddress local ? local : null;
    }

    /** The client's address after trusted proxies ({@code aphelion.websocket.trusted-proxies}). */
    @Override
    public InetSocketAddress getRemoteAddress() {
        return webSocket.remoteAddress();
    }

    /** Null: no subprotocol is negotiated. */
    @Override
    public String getAcceptedProtocol() {
        return null;
    }

    /** Not supported: the limit is {@code aphelion.websocket.max-message-size}, for every websocket. */
    @Override
    public void setTextMessageSizeLimit(int messageSizeLimit) {
        throw new UnsupportedOperationException("The native engine's message size limit is aphelion.websocket.max-message-size");
    }

    @Override
    public int getTextMessageSizeLimit() {
        return endpoint.maxMessageSize();
    }

    /** Not supported: the limit is {@code aphelion.websocket.max-message-size}, for every websocket. */
    @Override
    public void setBinaryMessageSizeLimit(int messageSizeLimit) {
        throw new UnsupportedOperationException("The native engine's message size limit is aphelion.websocket.max-message-size");
    }

    @Override
    public int getBinaryMessageSizeLimit() {
        return endpoint.maxMessageSize();
    }

    /** Empty: no extension is negotiated. */
    @Override
    public List<WebSocketExtension> getExtensions() {
        return List.of();
    }

    /**
     * Sends a whole {@link BinaryMessage} (its payload copied first) or {@link PingMessage} through
     * the engine, asynchronously: it returns once the frame is queued and never waits for the
     * client (a failed write closes the socket, as any failed write does). Such messages keep
     * their order among themselves and go out with the websocket's next write, ahead of the
     * Aphelion packets pulled for it; at most {@link JettyWebSocket#MAX_WAITING_MESSAGES} may wait
     * (past it, an {@link IOException}: the client does not read). It bypasses the session's delivery:
     * no ack byte is added and nothing is counted, acked or re-sent; an Aphelion client reads a
     * binary frame as a packet (an ack byte, then a protobuf message). Text and pong messages, and
     * partial messages, are refused with an {@link IOException}: the transport is binary and the
     * engine answers pings itself.
     */
    @Override
    public void sendMessage(WebSocketMessage<?> message) throws IOException {
        if (!isOpen()) {
            throw new IOException("Websocket from " + webSocket.remoteAddress() + " is closed");
        }
        if (!message.isLast()) {
            throw new IOException("The native engine sends whole messages only");
        }
        if (message instanceof BinaryMessage binary) {
            ByteBuffer payload = binary.getPayload();
            byte[] copy = new byte[payload.remaining()];
            payload.get(payload.position(), copy);
            if (!webSocket.sendMessage(copy)) {
                throw new IOException("Websocket from " + webSocket.remoteAddress() + " is closing, or "
                        + JettyWebSocket.MAX_WAITING_MESSAGES + " messages already wait for it");
            }
        }
        else if (message instanceof PingMessage ping) {
            if (ping.getPayloadLength() > WebSocketProtocol.MAX_CONTROL_PAYLOAD) {
                throw new IOException("A ping carries at most " + WebSocketProtocol.MAX_CONTROL_PAYLOAD + " bytes");
            }
            webSocket.sendPing(ping.getPayload());
        }
        else {
            throw new IOException("The native engine sends binary and ping messages only, not "
                    + message.getClass().getSimpleName());
        }
    }

    /** Open until the handler heard {@code afterConnectionClosed} or the socket closed. */
    @Override
    public boolean isOpen() {
        return !closed && webSocket.getEndPoint().isOpen();
    }

    @Override
    public void close() {
        close(CloseStatus.NORMAL);
    }

    /**
     * Closes with this code and reason: through the websocket's connection when it has one (the
     * one way the server closes a connection, so its session knows the server closed it), else
     * with a close frame alone.
     */
    @Override
    public void close(CloseStatus status) {
        close(status.getCode(), status.getReason());
    }

    /** {@link OpenWebSockets.WebSocket}: as {@link #close(CloseStatus)}. */
    @Override
    public void close(int code, String reason) {
        ClientConnection connection = clientConnection();
        if (connection != null) {
            connection.close(code, reason == null ? "" : reason);
        }
        else {
            webSocket.close(code, reason);
        }
    }

    @Override
    public String toString() {
        return "NativeWebSocketSession[id=" + getId() + ", remote=" + webSocket.remoteAddress() + "]";
    }
}
