package io.aphelion.server.transport.servletengine;

import io.aphelion.server.transport.TrustedProxies;
import io.aphelion.server.transport.AphelionWebSocketHandler;

import java.net.InetSocketAddress;
import java.util.Map;

import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;

/**
 * Servlet engine: takes the client's address from {@code X-Forwarded-For} when the upgrade comes
 * from a trusted proxy ({@code aphelion.websocket.trusted-proxies}), through
 * {@link TrustedProxies#clientSocketAddress} as the native engine does, and hands it to the handler under
 * {@link AphelionWebSocketHandler#CLIENT_ADDRESS_ATTRIBUTE}. The header names no client port:
 * the forwarded address carries port 0. From an untrusted peer, the header is ignored.
 *
 * <p>Stateless and thread-safe; called on a container thread during the upgrade.
 */
public final class ForwardedClientAddressInterceptor implements HandshakeInterceptor {

    private final TrustedProxies trustedProxies;

    public ForwardedClientAddressInterceptor(TrustedProxies trustedProxies) {
        this.trustedProxies = trustedProxies;
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
            Map<String, Object> attributes) {
        InetSocketAddress peer = request.getRemoteAddress();
        if (peer == null) {
            return true;
        }
        InetSocketAddress client = trustedProxies.clientSocketAddress(peer, request.getHeaders().get(TrustedProxies.X_FORWARDED_FOR));
        if (client != peer) {
            attributes.put(AphelionWebSocketHandler.CLIENT_ADDRESS_ATTRIBUTE, client);
        }
        return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
            Exception exception) {
    }
}
