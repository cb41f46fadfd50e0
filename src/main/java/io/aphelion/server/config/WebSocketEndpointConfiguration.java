package io.aphelion.server.config;

import io.aphelion.server.transport.AphelionWebSocketHandler;

import org.springframework.context.annotation.Bean;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import org.springframework.web.socket.server.jetty.JettyRequestUpgradeStrategy;
import org.springframework.web.socket.server.support.DefaultHandshakeHandler;

/**
 * Registers the websocket endpoint on {@code aphelion.websocket.path} with Jetty's native
 * upgrade (asynchronous writes), the frame size limit and the allowed origins.
 * Imported by {@link AphelionAutoConfiguration} (not component-scanned).
 */
@EnableWebSocket
class WebSocketEndpointConfiguration implements WebSocketConfigurer {

    private final AphelionProperties properties;
    private final AphelionWebSocketHandler handler;

    WebSocketEndpointConfiguration(AphelionProperties properties, AphelionWebSocketHandler handler) {
        this.properties = properties;
        this.handler = handler;
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
        registry.addHandler(handler, ws.getPath())
                .setHandshakeHandler(new DefaultHandshakeHandler(upgrade))
                .setAllowedOriginPatterns(ws.getAllowedOrigins().toArray(String[]::new));
    }
}
