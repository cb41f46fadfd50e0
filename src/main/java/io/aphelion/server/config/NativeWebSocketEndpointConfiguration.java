package io.aphelion.server.config;

import io.aphelion.server.support.Scheduler;
import io.aphelion.server.transport.AdmissionWebSocketHandlerDecorator;
import io.aphelion.server.transport.AllowedOrigins;
import io.aphelion.server.transport.RelayCredentials;
import io.aphelion.server.transport.TrustedProxies;
import io.aphelion.server.transport.nativeengine.AphelionUpgradeHandler;
import io.aphelion.server.transport.nativeengine.AphelionUpgradeConnectionFactory;

import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.handler.ContextHandler;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * The native engine ({@code aphelion.websocket.engine=native}, the default): an
 * {@link AphelionUpgradeHandler} in front of the servlet context answers websocket upgrades on
 * {@code aphelion.websocket.path} (below the servlet context path) and speaks RFC 6455 itself on
 * Jetty's socket, before any servlet, filter or Spring MVC sees the request; every other request
 * passes through to the servlet context. An {@link AphelionUpgradeConnectionFactory} on each
 * connector lets valid upgrades skip the handlers altogether. Every websocket's events go to the
 * same handler chain as on the servlet engine ({@link WebSocketEndpointConfiguration}): admission,
 * the application's decorators, then the Aphelion handler; same limits, idle timeout, allowed
 * origins and trusted proxies. Imported by {@link AphelionAutoConfiguration}.
 */
@ConditionalOnProperty(name = "aphelion.websocket.engine", havingValue = "native", matchIfMissing = true)
class NativeWebSocketEndpointConfiguration {

    @Bean
    JettyServerCustomizer aphelionNativeWebSocketEndpoint(AphelionProperties properties,
            AdmissionWebSocketHandlerDecorator endpointHandler, Scheduler scheduler, TrustedProxies trustedProxies,
            AllowedOrigins allowedOrigins, RelayCredentials relays) {
        AphelionProperties.Websocket ws = properties.getWebsocket();
        return server -> {
            String path = contextPathPrefix(server.getDescendant(ContextHandler.class)) + ws.getPath();
            AphelionUpgradeHandler upgrade = new AphelionUpgradeHandler(path, endpointHandler, trustedProxies, allowedOrigins,
                    relays, ws.getMaxMessageSize().toBytes(), AphelionAutoConfiguration.websocketIdleTimeout(ws),
                    ws.getSendTimeLimit(), scheduler);
            upgrade.setHandler(server.getHandler());
            server.setHandler(upgrade);
            for (Connector connector : server.getConnectors()) {
                if (connector instanceof AbstractConnector abstractConnector) {
                    abstractConnector.addConnectionFactory(new AphelionUpgradeConnectionFactory(upgrade));
                }
            }
        };
    }

    /** The servlet context path as a prefix: "" for the root context. */
    private static String contextPathPrefix(ContextHandler context) {
        String contextPath = context == null ? null : context.getContextPath();
        return contextPath == null || "/".equals(contextPath) ? "" : contextPath;
    }
}
