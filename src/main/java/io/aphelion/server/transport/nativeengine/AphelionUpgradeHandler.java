package io.aphelion.server.transport.nativeengine;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.concurrent.Executor;

import io.aphelion.server.support.Scheduler;
import io.aphelion.server.transport.rfc6455.WebSocketProtocol;
import io.aphelion.server.transport.TrustedProxies;
import io.aphelion.server.transport.AphelionWebSocketHandler;
import io.aphelion.server.transport.AllowedOrigins;
import io.aphelion.server.transport.RelayCredentials;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.web.socket.WebSocketHandler;

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
 * <li>403 for an {@code Origin} that {@link AllowedOrigins} refuses: neither the server's own nor
 * allowed by {@code aphelion.websocket.allowed-origins} (requests without one, from native clients,
 * pass), as on the servlet engine;
 * <li>101 otherwise. No extension and no subprotocol is negotiated.
 * </ul>
 * The client's address is the socket's peer, or the {@code X-Forwarded-For} client when the peer
 * is a trusted proxy ({@link TrustedProxies#clientSocketAddress}, as on the servlet engine). The
 * websocket's events go to the endpoint's handler (admission, which refuses websockets during
 * shutdown, the application's decorators, then {@link AphelionWebSocketHandler}) through its
 * {@link NativeWebSocketSession}.
 *
 * <p>Most upgrades never reach the handler: {@link AphelionUpgradeConnectionFactory} lets Jetty's
 * HTTP/1.1 parser hand a valid upgrade straight to {@link #upgradeEarly} (no handler chain, no
 * response object); the handler answers what the early path leaves (refusals, same-origin
 * requests, upgrades that arrive in a way the parser does not offer).
 *
 * <p>Stateless past construction and thread-safe; called on a Jetty thread per request.
 */
public final class AphelionUpgradeHandler extends Handler.Wrapper {

    private static final Logger log = LoggerFactory.getLogger(AphelionUpgradeHandler.class);

    private final Scheduler timers;
    private final String path;
    private final TrustedProxies trustedProxies;
    private final AllowedOrigins allowedOrigins;
    private final RelayCredentials relays;
    /** What every websocket shares: the handler, the path, the limits. */
    private final NativeEndpoint endpoint;

    /**
     * @param path the full request path served (servlet context path included)
     * @param handler the endpoint's decorated handler, which every websocket's events go to
     * @param maxMessageSize the largest binary message accepted, in bytes (1009 above it)
     * @param idleTimeout how long a silent socket stays open (a backstop behind the server's pings)
     * @param sendTimeLimit longest time one write may take (zero: no limit)
     */
    public AphelionUpgradeHandler(String path, WebSocketHandler handler, TrustedProxies trustedProxies,
            AllowedOrigins allowedOrigins, long maxMessageSize, Duration idleTimeout, Duration sendTimeLimit, Scheduler timers) {
        this(path, handler, trustedProxies, allowedOrigins, RelayCredentials.NONE, maxMessageSize, idleTimeout, sendTimeLimit, timers);
    }

    /**
     * @param relays verifies the upgrades of other cluster nodes' relay links ({@link RelayCredentials#NONE}
     *        outside a cluster: every relay header is refused)
     */
    public AphelionUpgradeHandler(String path, WebSocketHandler handler, TrustedProxies trustedProxies,
            AllowedOrigins allowedOrigins, RelayCredentials relays, long maxMessageSize, Duration idleTimeout,
            Duration sendTimeLimit, Scheduler timers) {
        this.path = path;
        this.relays = relays;
        this.timers = timers;
        this.trustedProxies = trustedProxies;
        this.allowedOrigins = allowedOrigins;
        this.endpoint = new NativeEndpoint(handler, pathUri(path), (int) Math.min(maxMessageSize, Integer.MAX_VALUE - 8),
                idleTimeout.toMillis(), sendTimeLimit);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!path.equals(request.getHttpURI().getPath())) {
            return super.handle(request, response, callback);
        }
        HttpFields headers = request.getHeaders();
        Refusal refusal = refusal(request.getMethod(), request.getConnectionMetaData().getHttpVersion(), headers);
        if (refusal == null) {
            String origin = headers.get(HttpHeader.ORIGIN);
            HttpURI target = request.getHttpURI();
            if (!allowedOrigins.allows(origin, target.getScheme(), target.getHost(), target.getPort())) {
                log.debug("Refusing upgrade from origin {}: not in aphelion.websocket.allowed-origins", origin);
                refusal = new Refusal(HttpStatus.FORBIDDEN_403, AllowedOrigins.REFUSAL);
            }
        }
        RelayCredentials.Verified relay = null;
        if (refusal == null && headers.get(RelayCredentials.RELAY_HEADER) != null) {
            relay = relays.verify(headers.get(RelayCredentials.RELAY_HEADER), headers.get(RelayCredentials.CLIENT_HEADER));
            if (relay == null) {
                log.warn("Refusing a relay link from {}: its {} header does not verify (check aphelion.cluster.secret on every node)",
                        request.getConnectionMetaData().getRemoteSocketAddress(), RelayCredentials.RELAY_HEADER);
                refusal = new Refusal(HttpStatus.FORBIDDEN_403, "Relay credentials refused");
            }
        }
        if (refusal != null) {
            if (refusal.status == HttpStatus.UPGRADE_REQUIRED_426) {
                response.getHeaders().put(HttpHeader.SEC_WEBSOCKET_VERSION, WebSocketProtocol.VERSION);
            }
            Response.writeError(request, response, callback, refusal.status, refusal.message);
            return true;
        }

        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        JettyWebSocket webSocket = newWebSocket(endPoint, request.getComponents().getExecutor(),
                request.getComponents().getByteBufferPool(),
                (InetSocketAddress) request.getConnectionMetaData().getRemoteSocketAddress(), headers, request.getHttpURI(), relay);
        response.setStatus(HttpStatus.SWITCHING_PROTOCOLS_101);
        putSwitchingHeaders(response.getHeaders(), headers.get(HttpHeader.SEC_WEBSOCKET_KEY));
        // Jetty swaps the socket over to the websocket once the 101 is written.
        request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, webSocket);
        response.write(true, null, callback);
        return true;
    }

    /**
     * The early path, from {@link AphelionUpgradeConnectionFactory}: Jetty's HTTP/1.1 parser offers
     * every {@code Upgrade: websocket} request here as soon as its headers are read, before any
     * handler runs. A request that passes every check is upgraded at once (Jetty writes the 101
     * with these headers and swaps the socket over); anything else returns null and goes on
     * through the handlers, where {@link #handle} answers it in full (including the same-origin
     * case, which needs the request's full URI).
     */
    JettyWebSocket upgradeEarly(Connector connector, EndPoint endPoint, MetaData.Request request, HttpFields.Mutable answer) {
        if (!path.equals(request.getHttpURI().getPath())) {
            return null;
        }
        HttpFields headers = request.getHttpFields();
        if (refusal(request.getMethod(), request.getHttpVersion(), headers) != null) {
            return null;
        }
        if (!allowedOrigins.allowsByPattern(headers.get(HttpHeader.ORIGIN))) {
            return null;
        }
        RelayCredentials.Verified relay = null;
        String relayHeader = headers.get(RelayCredentials.RELAY_HEADER);
        if (relayHeader != null) {
            relay = relays.verify(relayHeader, headers.get(RelayCredentials.CLIENT_HEADER));
            if (relay == null) {
                return null; // the handler refuses it, with its log line
            }
        }
        JettyWebSocket webSocket = newWebSocket(endPoint, connector.getExecutor(), connector.getByteBufferPool(),
                (InetSocketAddress) endPoint.getRemoteSocketAddress(), headers, request.getHttpURI(), relay);
        putSwitchingHeaders(answer, headers.get(HttpHeader.SEC_WEBSOCKET_KEY));
        return webSocket;
    }

    /** Why a request on the path cannot be upgraded, in RFC 6455 4.2's terms; null when it can (origin aside). */
    private static Refusal refusal(String method, HttpVersion version, HttpFields headers) {
        if (!HttpMethod.GET.is(method) || version != HttpVersion.HTTP_1_1
                || !headers.contains(HttpHeader.UPGRADE, "websocket")
                || !headers.contains(HttpHeader.CONNECTION, "upgrade")) {
            return new Refusal(HttpStatus.BAD_REQUEST_400,
                    "Expected a websocket upgrade: HTTP/1.1 GET with Upgrade: websocket and Connection: Upgrade");
        }
        if (!WebSocketProtocol.VERSION.equals(headers.get(HttpHeader.SEC_WEBSOCKET_VERSION))) {
            return new Refusal(HttpStatus.UPGRADE_REQUIRED_426,
                    "Unsupported Sec-WebSocket-Version: only " + WebSocketProtocol.VERSION + " is spoken");
        }
        if (!WebSocketProtocol.isValidKey(headers.get(HttpHeader.SEC_WEBSOCKET_KEY))) {
            return new Refusal(HttpStatus.BAD_REQUEST_400, "Missing or invalid Sec-WebSocket-Key");
        }
        return null;
    }

    /** An HTTP answer instead of an upgrade. */
    private record Refusal(int status, String message) {
    }

    /** @param relay the verified relay credentials of another node's link, or null for a client's own websocket */
    private JettyWebSocket newWebSocket(EndPoint endPoint, Executor executor, ByteBufferPool pool, InetSocketAddress peer,
            HttpFields headers, HttpURI target, RelayCredentials.Verified relay) {
        if (relay != null) {
            return new JettyWebSocket(endPoint, executor, pool, timers, endpoint, relay.client(), uri(target), relay.nodeId());
        }
        InetSocketAddress client = trustedProxies.clientSocketAddress(peer, headers.getValuesList(TrustedProxies.X_FORWARDED_FOR));
        return new JettyWebSocket(endPoint, executor, pool, timers, endpoint, client, uri(target));
    }

    /**
     * The request's path and query as a relative URI: the endpoint's own, shared by every websocket,
     * unless the request carried a query (only then is one made for it).
     */
    private URI uri(HttpURI target) {
        String query = target.getQuery();
        if (query == null) {
            return endpoint.path();
        }
        try {
            return URI.create(path + "?" + query);
        }
        catch (IllegalArgumentException ex) {
            return endpoint.path();
        }
    }

    /** The path as a relative URI, its characters that are not legal in one quoted. */
    private static URI pathUri(String path) {
        try {
            return new URI(null, null, path, null);
        }
        catch (URISyntaxException ex) {
            throw new IllegalArgumentException("Not a path: " + path, ex);
        }
    }

    private static void putSwitchingHeaders(HttpFields.Mutable answer, String key) {
        answer.put(HttpHeader.UPGRADE, "websocket");
        answer.put(HttpHeader.CONNECTION, "Upgrade");
        answer.put(HttpHeader.SEC_WEBSOCKET_ACCEPT, WebSocketProtocol.acceptKey(key));
    }
}
