package io.aphelion.server.transport.servletengine;

import io.aphelion.server.transport.AphelionWebSocketHandler;

import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

import org.eclipse.jetty.ee11.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;

import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;

/**
 * Servlet engine: hands the handler the moment the upgrade's socket was accepted, under
 * {@link AphelionWebSocketHandler#ACCEPTED_AT_ATTRIBUTE}, so that the init timeout counts from the
 * TCP accept as on the native engine (docs/PRODUCT.md "Before the init packet"). Without Jetty's
 * request underneath (another container), it adds nothing and the timeout counts from the upgrade.
 *
 * <p>Stateless and thread-safe; called on a container thread during the upgrade.
 */
public final class AcceptedAtInterceptor implements HandshakeInterceptor {

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
            Map<String, Object> attributes) {
        if (request instanceof ServletServerHttpRequest servlet) {
            HttpServletRequest http = servlet.getServletRequest();
            ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(http);
            EndPoint endPoint = jetty == null ? null : jetty.getConnectionMetaData().getConnection().getEndPoint();
            if (endPoint != null) {
                attributes.put(AphelionWebSocketHandler.ACCEPTED_AT_ATTRIBUTE, endPoint.getCreatedTimeStamp());
            }
        }
        return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
            Exception exception) {
    }
}
