package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;

import io.aphelion.server.transport.rfc6455.WebSocketProtocol;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.web.cors.CorsConfiguration;

/**
 * The native engine's upgrade ({@code aphelion.websocket.engine=native}, the default): a Jetty
 * handler in front of the servlet context that answers websocket upgrades on the Aphelion path
 * itself (RFC 6455 4.2) and turns the socket into a {@link JettyWebSocket}. Every other request
 * passes through to the servlet context (Actuator, the application's own endpoints).
 *
 * <p>Answers on the path, in this order:
 * <ul>
 * <li>400 for a request that is not an HTTP/1.1 {@code GET} with {@code Upgrade: websocket} and
 * {@code Connection: Upgrade}, or whose {@code Sec-WebSocket-Key} is not 16 bytes of base64;
 * <li>426 with {@code Sec-WebSocket-Version: 13} for any other websocket version;
 * <li>403 for an {@code Origin} that is neither the server's own nor allowed by
 * {@code aphelion.websocket.allowed-origins} (requests without one, from native clients, pass);
 * <li>101 otherwise. No extension and no subprotocol is negotiated.
 * </ul>
 * The client's address is the socket's peer, or the {@code X-Forwarded-For} client when the peer
 * is a trusted proxy ({@link TrustedProxies}). Admission (refused during shutdown) happens when
 * the websocket opens.
 *
 * <p>Stateless past construction and thread-safe; called on a Jetty thread per request.
 */
public final class AphelionUpgradeHandler extends Handler.Wrapper {

    private static final Logger log = LoggerFactory.getLogger(AphelionUpgradeHandler.class);

    private final String path;
    private final ConnectionFactory connections;
    private final OpenWebSockets openWebSockets;
    private final TrustedProxies trustedProxies;
    /** The allowed origin patterns, matched as Spring's CORS support matches them. */
    private final CorsConfiguration origins = new CorsConfiguration();
    private final int maxMessageSize;
    private final Duration idleTimeout;

    /**
     * @param path the full request path served (servlet context path included)
     * @param maxMessageSize the largest binary message accepted, in bytes (1009 above it)
     * @param idleTimeout how long a silent socket stays open (a backstop behind the server's pings)
     */
    public AphelionUpgradeHandler(String path, ConnectionFactory connections, OpenWebSockets openWebSockets,
            TrustedProxies trustedProxies, List<String> allowedOriginPatterns, long maxMessageSize, Duration idleTimeout) {
        this.path = path;
        this.connections = connections;
        this.openWebSockets = openWebSockets;
        this.trustedProxies = trustedProxies;
        this.origins.setAllowedOriginPatterns(allowedOriginPatterns);
        this.maxMessageSize = (int) Math.min(maxMessageSize, Integer.MAX_VALUE - 8);
        this.idleTimeout = idleTimeout;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!path.equals(request.getHttpURI().getPath())) {
            return super.handle(request, response, callback);
        }
        HttpFields headers = request.getHeaders();
        if (!HttpMethod.GET.is(request.getMethod())
                || request.getConnectionMetaData().getHttpVersion() != HttpVersion.HTTP_1_1
                || !headers.contains(HttpHeader.UPGRADE, "websocket")
                || !headers.contains(HttpHeader.CONNECTION, "upgrade")) {
            Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400,
                    "Expected a websocket upgrade: HTTP/1.1 GET with Upgrade: websocket and Connection: Upgrade");
            return true;
        }
        if (!WebSocketProtocol.VERSION.equals(headers.get(HttpHeader.SEC_WEBSOCKET_VERSION))) {
            response.getHeaders().put(HttpHeader.SEC_WEBSOCKET_VERSION, WebSocketProtocol.VERSION);
            Response.writeError(request, response, callback, HttpStatus.UPGRADE_REQUIRED_426,
                    "Unsupported Sec-WebSocket-Version: only " + WebSocketProtocol.VERSION + " is spoken");
            return true;
        }
        String key = headers.get(HttpHeader.SEC_WEBSOCKET_KEY);
        if (!WebSocketProtocol.isValidKey(key)) {
            Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400,
                    "Missing or invalid Sec-WebSocket-Key");
            return true;
        }
        String origin = headers.get(HttpHeader.ORIGIN);
        if (origin != null && !sameOrigin(origin, request.getHttpURI()) && origins.checkOrigin(origin) == null) {
            log.debug("Refusing upgrade from origin {}: not in aphelion.websocket.allowed-origins", origin);
            Response.writeError(request, response, callback, HttpStatus.FORBIDDEN_403,
                    "Origin not allowed: see aphelion.websocket.allowed-origins");
            return true;
        }

        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        JettyWebSocket webSocket = new JettyWebSocket(endPoint, request.getComponents().getExecutor(),
                request.getComponents().getByteBufferPool(), openWebSockets, connections, clientAddress(request),
                maxMessageSize, idleTimeout);
        response.setStatus(HttpStatus.SWITCHING_PROTOCOLS_101);
        HttpFields.Mutable answer = response.getHeaders();
        answer.put(HttpHeader.UPGRADE, "websocket");
        answer.put(HttpHeader.CONNECTION, "Upgrade");
        answer.put(HttpHeader.SEC_WEBSOCKET_ACCEPT, WebSocketProtocol.acceptKey(key));
        // Jetty swaps the socket over to the websocket once the 101 is written.
        request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, webSocket);
        response.write(true, null, callback);
        return true;
    }

    private InetSocketAddress clientAddress(Request request) {
        // Jetty's connectors here are TCP: the peer is always an InetSocketAddress.
        InetSocketAddress peer = (InetSocketAddress) request.getConnectionMetaData().getRemoteSocketAddress();
        InetSocketAddress client = trustedProxies.clientSocketAddress(peer,
                request.getHeaders().getValuesList(ForwardedClientAddressInterceptor.X_FORWARDED_FOR));
        if (client != peer) {
            log.debug("Upgrade from {} forwarded by trusted proxy {}", client.getAddress().getHostAddress(), peer);
        }
        return client;
    }

    /** Whether {@code origin} is the scheme, host and port the request was sent to. */
    static boolean sameOrigin(String origin, HttpURI target) {
        try {
            URI uri = URI.create(origin);
            return uri.getScheme() != null && uri.getHost() != null
                    && uri.getScheme().equalsIgnoreCase(target.getScheme())
                    && uri.getHost().equalsIgnoreCase(target.getHost())
                    && port(uri.getScheme(), uri.getPort()) == port(target.getScheme(), target.getPort());
        }
        catch (IllegalArgumentException ex) {
            return false;
        }
    }

    private static int port(String scheme, int port) {
        if (port > 0) {
            return port;
        }
        return "https".equalsIgnoreCase(scheme) || "wss".equalsIgnoreCase(scheme) ? 443 : 80;
    }
}
