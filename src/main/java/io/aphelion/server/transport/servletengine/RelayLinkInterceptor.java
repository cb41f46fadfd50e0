package io.aphelion.server.transport.servletengine;

import java.util.Map;

import io.aphelion.server.transport.AphelionWebSocketHandler;
import io.aphelion.server.transport.RelayCredentials;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;

/**
 * Servlet engine: the upgrade of another cluster node's relay link, as the native engine checks
 * it ({@link RelayCredentials}). An upgrade with an {@code Aphelion-Relay} header that does not
 * verify is refused with 403; a verified one gets the relayed client's address under
 * {@link AphelionWebSocketHandler#CLIENT_ADDRESS_ATTRIBUTE} (in place of any forwarded one) and
 * the relaying node under {@link #RELAYED_BY_ATTRIBUTE}. Without the header, nothing changes.
 *
 * <p>Thread-safe; called on a container thread during the upgrade.
 */
public final class RelayLinkInterceptor implements HandshakeInterceptor {

    /** Upgrade attribute with the id of the node relaying the websocket. */
    public static final String RELAYED_BY_ATTRIBUTE = "aphelion.relayedBy";

    private static final Logger log = LoggerFactory.getLogger(RelayLinkInterceptor.class);

    private final RelayCredentials relays;

    public RelayLinkInterceptor(RelayCredentials relays) {
        this.relays = relays;
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
            Map<String, Object> attributes) {
        String header = request.getHeaders().getFirst(RelayCredentials.RELAY_HEADER);
        if (header == null) {
            return true;
        }
        RelayCredentials.Verified relay = relays.verify(header, request.getHeaders().getFirst(RelayCredentials.CLIENT_HEADER));
        if (relay == null) {
            log.warn("Refusing a relay link from {}: its {} header does not verify (check aphelion.cluster.secret on every node)",
                    request.getRemoteAddress(), RelayCredentials.RELAY_HEADER);
            response.setStatusCode(HttpStatus.FORBIDDEN);
            return false;
        }
        attributes.put(AphelionWebSocketHandler.CLIENT_ADDRESS_ATTRIBUTE, relay.client());
        attributes.put(RELAYED_BY_ATTRIBUTE, relay.nodeId());
        return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
            Exception exception) {
    }
}
