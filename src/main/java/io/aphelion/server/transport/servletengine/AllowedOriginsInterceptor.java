package io.aphelion.server.transport.servletengine;

import io.aphelion.server.transport.AllowedOrigins;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;

/**
 * Servlet engine: applies {@link AllowedOrigins} to the upgrade, as the native engine's
 * the native engine's {@code AphelionUpgradeHandler} does, and answers a refused origin the same way: 403 with
 * {@link AllowedOrigins#REFUSAL}. It takes the place of Spring's own origin check, which is told to
 * let every origin through.
 *
 * <p>Stateless past construction and thread-safe; called on a container thread during the upgrade.
 */
public final class AllowedOriginsInterceptor implements HandshakeInterceptor {

    private static final Logger log = LoggerFactory.getLogger(AllowedOriginsInterceptor.class);

    private final AllowedOrigins allowedOrigins;

    public AllowedOriginsInterceptor(AllowedOrigins allowedOrigins) {
        this.allowedOrigins = allowedOrigins;
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
            Map<String, Object> attributes) throws IOException {
        String origin = request.getHeaders().getFirst(HttpHeaders.ORIGIN);
        URI target = request.getURI();
        if (allowedOrigins.allows(origin, target.getScheme(), target.getHost(), target.getPort())) {
            return true;
        }
        log.debug("Refusing upgrade from origin {}: not in aphelion.websocket.allowed-origins", origin);
        response.setStatusCode(HttpStatus.FORBIDDEN);
        response.getHeaders().setContentType(MediaType.TEXT_PLAIN);
        response.getBody().write(AllowedOrigins.REFUSAL.getBytes(StandardCharsets.UTF_8));
        return false;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
            Exception exception) {
    }
}
