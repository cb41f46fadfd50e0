package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.server.WebSocketCreator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.web.cors.CorsConfiguration;

/**
 * The upgrade of the native engine ({@code aphelion.websocket.engine=native}), on Jetty's own
 * {@code WebSocketUpgradeHandler} in front of the servlet context: the same checks as the servlet
 * engine's handshake, then a {@link NativeWebSocketEndpoint} per websocket.
 *
 * <ul>
 * <li>Origin: a request without one (native clients) or from the server's own origin passes; any
 * other must match {@code aphelion.websocket.allowed-origins}, else 403 (as Spring's
 * {@code OriginHandshakeInterceptor}, whose pattern matching this reuses).
 * <li>Client address: {@code X-Forwarded-For} from a trusted proxy, as
 * {@link ForwardedClientAddressInterceptor} does (port 0); else the socket's peer.
 * </ul>
 *
 * <p>Stateless past construction and thread-safe; called on a Jetty thread per upgrade.
 */
public final class NativeWebSocketCreator implements WebSocketCreator {

    private static final Logger log = LoggerFactory.getLogger(NativeWebSocketCreator.class);

    private final ConnectionFactory connections;
    private final OpenWebSockets openWebSockets;
    private final TrustedProxies trustedProxies;
    /** The allowed origin patterns, matched as Spring's CORS support matches them. */
    private final CorsConfiguration origins = new CorsConfiguration();

    public NativeWebSocketCreator(ConnectionFactory connections, OpenWebSockets openWebSockets,
            TrustedProxies trustedProxies, List<String> allowedOriginPatterns) {
        this.connections = connections;
        this.openWebSockets = openWebSockets;
        this.trustedProxies = trustedProxies;
        this.origins.setAllowedOriginPatterns(allowedOriginPatterns);
    }

    @Override
    public Object createWebSocket(ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null && !sameOrigin(origin, request.getHttpURI()) && origins.checkOrigin(origin) == null) {
            log.debug("Refusing upgrade from origin {}: not in aphelion.websocket.allowed-origins", origin);
            response.setStatus(HttpStatus.FORBIDDEN_403);
            callback.succeeded();
            return null;
        }
        return new NativeWebSocketEndpoint(openWebSockets, connections, clientAddress(request));
    }

    private InetSocketAddress clientAddress(ServerUpgradeRequest request) {
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
