package io.aphelion.server.config;

import io.aphelion.server.transport.AdmissionWebSocketHandlerDecorator;
import io.aphelion.server.transport.AllowedOrigins;
import io.aphelion.server.transport.RelayCredentials;
import io.aphelion.server.transport.TrustedProxies;
import io.aphelion.server.transport.servletengine.AllowedOriginsInterceptor;
import io.aphelion.server.transport.servletengine.ForwardedClientAddressInterceptor;
import io.aphelion.server.transport.servletengine.RelayLinkInterceptor;
import io.aphelion.server.transport.servletengine.AcceptedAtInterceptor;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import org.springframework.web.socket.server.jetty.JettyRequestUpgradeStrategy;
import org.springframework.web.socket.server.support.DefaultHandshakeHandler;

/**
 * The servlet engine ({@code aphelion.websocket.engine=servlet}): registers the websocket endpoint
 * on {@code aphelion.websocket.path} through Spring's upgrade (its HandshakeHandler), upgraded by Jetty (asynchronous
 * writes), behind the servlet container's filters (what this engine is for: Spring Security and
 * other filters see the upgrade). Every websocket's events go to the same handler chain as on the
 * native engine (admission, the application's decorators, then the Aphelion handler), with the
 * same frame size limit, idle timeout, allowed origins ({@link AllowedOriginsInterceptor}) and
 * trusted proxies. Imported by {@link AphelionAutoConfiguration} (not component-scanned).
 */
@EnableWebSocket
@ConditionalOnProperty(name = "aphelion.websocket.engine", havingValue = "servlet")
class WebSocketEndpointConfiguration implements WebSocketConfigurer {

    private final AphelionProperties properties;
    private final AdmissionWebSocketHandlerDecorator endpointHandler;
    private final TrustedProxies trustedProxies;
    private final AllowedOrigins allowedOrigins;
    private final RelayCredentials relays;

    WebSocketEndpointConfiguration(AphelionProperties properties, AdmissionWebSocketHandlerDecorator endpointHandler,
            TrustedProxies trustedProxies, AllowedOrigins allowedOrigins, RelayCredentials relays) {
        this.properties = properties;
        this.relays = relays;
        this.endpointHandler = endpointHandler;
        this.trustedProxies = trustedProxies;
        this.allowedOrigins = allowedOrigins;
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
        registry.addHandler(endpointHandler, ws.getPath())
                .setHandshakeHandler(new DefaultHandshakeHandler(upgrade))
                .addInterceptors(new AllowedOriginsInterceptor(allowedOrigins), new AcceptedAtInterceptor(),
                        new ForwardedClientAddressInterceptor(trustedProxies), new RelayLinkInterceptor(relays))
                // Spring always adds its own origin check behind ours: it lets every origin through, ours decides.
                .setAllowedOriginPatterns(CorsConfiguration.ALL);
    }
}
