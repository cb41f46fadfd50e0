package io.aphelion.server.config;

import io.aphelion.server.transport.AcceptedAtInterceptor;
import io.aphelion.server.transport.AdmissionWebSocketHandlerDecorator;
import io.aphelion.server.transport.AphelionWebSocketHandler;
import io.aphelion.server.transport.ForwardedClientAddressInterceptor;
import io.aphelion.server.transport.OpenWebSockets;
import io.aphelion.server.transport.TrustedProxies;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import org.springframework.web.socket.server.jetty.JettyRequestUpgradeStrategy;
import org.springframework.web.socket.server.support.DefaultHandshakeHandler;

/**
 * The servlet engine ({@code aphelion.websocket.engine=servlet}): registers the
 * websocket endpoint on {@code aphelion.websocket.path} through Spring's handshake, upgraded by
 * Jetty (asynchronous writes), with the frame size limit and the allowed origins; admission
 * (refused during shutdown) in front of the handler, and the client address from trusted proxies.
 * Imported by {@link AphelionAutoConfiguration} (not component-scanned).
 */
@EnableWebSocket
@ConditionalOnProperty(name = "aphelion.websocket.engine", havingValue = "servlet")
class WebSocketEndpointConfiguration implements WebSocketConfigurer {

    private final AphelionProperties properties;
    private final AphelionWebSocketHandler handler;
    private final OpenWebSockets openWebSockets;
    private final TrustedProxies trustedProxies;

    WebSocketEndpointConfiguration(AphelionProperties properties, AphelionWebSocketHandler handler,
            OpenWebSockets openWebSockets, TrustedProxies trustedProxies) {
        this.properties = properties;
        this.handler = handler;
        this.openWebSockets = openWebSockets;
        this.trustedProxies = trustedProxies;
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        AphelionProperties.Websocket ws = properties.getWebsocket();
        JettyRequestUpgradeStrategy upgrade = new JettyRequestUpgradeStrategy();
        long maxMessageSize = ws.getMaxMessageSize().toBytes();
        upgrade.addWebSocketConfigurer(configurable -> {
            configurable.setMaxBinaryMessageSize(maxMessageSize);
            configurable.setMaxTextMessageSize(maxMessageSize);
            configurable.setIdleTimeout(AphelionAutoConfiguration.websocketIdleTimeout(ws));
        });
        registry.addHandler(new AdmissionWebSocketHandlerDecorator(handler, openWebSockets), ws.getPath())
                .setHandshakeHandler(new DefaultHandshakeHandler(upgrade))
                .addInterceptors(new AcceptedAtInterceptor(), new ForwardedClientAddressInterceptor(trustedProxies))
                .setAllowedOriginPatterns(ws.getAllowedOrigins().toArray(String[]::new));
    }
}
