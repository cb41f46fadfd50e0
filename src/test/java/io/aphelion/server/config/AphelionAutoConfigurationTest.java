package io.aphelion.server.config;

import java.time.Duration;
import java.util.List;

import io.aphelion.proto.game.C2S;
import io.aphelion.server.handshake.HandshakeService;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.protocol.game.GameProtocol;
import io.aphelion.server.protocol.ping.PingProtocol;
import io.aphelion.server.handshake.HandshakeService;
import io.aphelion.server.handshake.ServedProtocol;
import io.aphelion.server.session.AckFlusher;
import io.aphelion.server.session.Keepalive;
import io.aphelion.wire.WireFormat;
import io.aphelion.server.protocol.game.GameSessions;
import io.aphelion.server.protocol.game.LobbyGameMessageService;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.TransportSettings;
import io.aphelion.server.transport.AdmissionWebSocketHandlerDecorator;
import io.aphelion.server.transport.AllowedOrigins;
import io.aphelion.server.transport.AphelionWebSocketHandler;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.util.unit.DataSize;
import org.springframework.web.servlet.handler.AbstractUrlHandlerMapping;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;
import org.springframework.web.socket.handler.WebSocketHandlerDecoratorFactory;
import org.springframework.web.socket.server.support.WebSocketHttpRequestHandler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AphelionAutoConfiguration} and {@link AphelionProperties} in a context without a server:
 * the defaults of PRODUCT.md, the beans that back off, and start-up failures that name the key.
 */
class AphelionAutoConfigurationTest {

    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AphelionAutoConfiguration.class));

    @Test
    void defaultsAreThoseOfTheProductContract() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            AphelionProperties properties = context.getBean(AphelionProperties.class);
            AphelionProperties.Websocket ws = properties.getWebsocket();
            assertThat(ws.getPath()).isEqualTo("/aphelion");
            assertThat(ws.getInitTimeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(ws.getMaxMessageSize()).isEqualTo(DataSize.ofKilobytes(64));
            assertThat(ws.getAllowedOrigins()).containsExactly("*");
            assertThat(ws.getPingInterval()).isEqualTo(Duration.ofSeconds(20));
            assertThat(properties.getSession().getExpiry()).isEqualTo(Duration.ofSeconds(30));
            assertThat(properties.getSession().getMaxConnections()).isEqualTo(8);
            assertThat(properties.getProtocols().getPing().getMinVersion()).isEqualTo(1);
            assertThat(properties.getProtocols().getPing().getMaxVersion()).isEqualTo(1);
            assertThat(properties.getProtocols().getGame().getMinVersion()).isEqualTo(1);
            assertThat(properties.getProtocols().getGame().getMaxVersion()).isEqualTo(1);
        });
    }

    @Test
    void defaultsReachTheTransport() {
        runner.run(context -> {
            TransportSettings settings = context.getBean(TransportSettings.class);
            assertThat(settings.initTimeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(settings.pingInterval()).isEqualTo(Duration.ofSeconds(20));
            assertThat(settings.expiry()).isEqualTo(Duration.ofSeconds(30));
            assertThat(settings.maxConnections()).isEqualTo(8);
            assertThat(settings.nonAckingGrace()).isEqualTo(Duration.ofSeconds(10));
            assertThat(settings.rateLimit()).isEqualTo(new TransportSettings.RateLimit(5000, 10000));
        });
    }

    @Test
    void eachProtocolIsABeanAndTheHandshakeServesThem() {
        runner.run(context -> {
            HandshakeService handshake = context.getBean(HandshakeService.class);
            assertThat(context.getBean("aphelionPingProtocol", ServedProtocol.class).listener()).isInstanceOf(PingProtocol.class);
            assertThat(context.getBean("aphelionGameProtocol", ServedProtocol.class).listener()).isInstanceOf(GameProtocol.class);
            assertThat(handshake.served(WireFormat.PROTOCOL_PING)).isPresent();
            assertThat(handshake.served(WireFormat.PROTOCOL_GAME)).isPresent();
            assertThat(handshake.served(3)).isEmpty();
            assertThat(context).hasSingleBean(AckFlusher.class);
        });
    }

    @Test
    void keepaliveIsOneBeanWhoseTickFollowsThePingSettings() {
        runner.run(context -> assertThat(context.getBean(Keepalive.class).tick()).isEqualTo(Duration.ofSeconds(1)));
        runner.withPropertyValues("aphelion.websocket.ping-interval=4s", "aphelion.websocket.pong-timeout=10s")
                .run(context -> assertThat(context.getBean(Keepalive.class).tick()).isEqualTo(Duration.ofMillis(250)));
    }

    @Test
    void anApplicationsOwnProtocolBeanIsServedBesideTheBuiltInOnes() {
        runner.withBean("diceProtocol", ServedProtocol.class, () -> new ServedProtocol(3, 1, 4, new PingProtocol(null, null)))
                .run(context -> {
                    HandshakeService handshake = context.getBean(HandshakeService.class);
                    assertThat(handshake.served(3)).get().extracting(ServedProtocol::maxVersion).isEqualTo(4);
                    assertThat(handshake.served(WireFormat.PROTOCOL_GAME)).isPresent();
                });
    }

    @Test
    void twoBeansServingOneProtocolIdFailTheStartNamingTheId() {
        runner.withBean("anotherPing", ServedProtocol.class, () -> new ServedProtocol(1, 1, 1, new PingProtocol(null, null)))
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageContaining("Protocol 1 is served twice"));
    }

    @Test
    void propertiesBindWithRelaxedNames() {
        runner.withPropertyValues("aphelion.session.max-connections=3", "aphelion.session.expiry=45s",
                "aphelion.websocket.maxMessageSize=1MB", "aphelion.websocket.allowed-origins=https://a.example,https://b.example")
                .run(context -> {
                    AphelionProperties properties = context.getBean(AphelionProperties.class);
                    assertThat(properties.getSession().getMaxConnections()).isEqualTo(3);
                    assertThat(properties.getWebsocket().getMaxMessageSize()).isEqualTo(DataSize.ofMegabytes(1));
                    assertThat(properties.getWebsocket().getAllowedOrigins())
                            .containsExactly("https://a.example", "https://b.example");
                    assertThat(context.getBean(TransportSettings.class).maxConnections()).isEqualTo(3);
                    assertThat(context.getBean(TransportSettings.class).expiry()).isEqualTo(Duration.ofSeconds(45));
                });
    }

    @Test
    void allowedOriginsAreOneBeanForBothEnginesFromTheProperty() {
        runner.withPropertyValues("aphelion.websocket.allowed-origins=https://*.example.com").run(context -> {
            AllowedOrigins origins = context.getBean(AllowedOrigins.class);
            assertThat(origins.allows("https://play.example.com", "http", "127.0.0.1", 80)).isTrue();
            assertThat(origins.allows("https://evil.test", "http", "127.0.0.1", 80)).isFalse();
        });
        runner.withPropertyValues("aphelion.websocket.engine=servlet")
                .withBean("userOrigins", AllowedOrigins.class, () -> AllowedOrigins.of(List.of("https://mine.test")))
                .run(context -> assertThat(context).hasNotFailed().getBean(AllowedOrigins.class)
                        .isSameAs(context.getBean("userOrigins")));
    }

    @Test
    void decoratorFactoryBeansWrapTheAphelionHandlerInOrderBehindAdmission() {
        runner.withUserConfiguration(UserDecoratorsConfiguration.class).run(context -> {
            WebSocketHandler endpoint = context.getBean(AdmissionWebSocketHandlerDecorator.class);
            List<String> chain = new java.util.ArrayList<>();
            for (WebSocketHandler handler = endpoint; handler != null;
                    handler = handler instanceof WebSocketHandlerDecorator decorator ? decorator.getDelegate() : null) {
                chain.add(handler instanceof NamedDecorator named ? named.name : handler.getClass().getSimpleName());
            }
            assertThat(chain).as("the last factory is called first").containsExactly(
                    "AdmissionWebSocketHandlerDecorator", "second", "first", "AphelionWebSocketHandler");
            assertThat(((WebSocketHandlerDecorator) endpoint).getLastHandler())
                    .isSameAs(context.getBean(AphelionWebSocketHandler.class));
        });
    }

    @Test
    void endpointIsRegisteredOnTheConfiguredPath() {
        runner.withPropertyValues("aphelion.websocket.engine=servlet", "aphelion.websocket.path=/game/ws").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(handlerPaths(context)).containsExactly("/game/ws");
        });
    }

    @Test
    void nativeEngineIsTheDefaultAndUpgradesInJettyInsteadOfSpring() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(AphelionProperties.class).getWebsocket().getEngine())
                    .isEqualTo(AphelionProperties.Engine.NATIVE);
            assertThat(handlerPaths(context)).isEmpty();
            assertThat(context).hasBean("aphelionNativeWebSocketEndpoint");
        });
    }

    @Test
    void servletEngineRegistersSpringsHandler() {
        runner.withPropertyValues("aphelion.websocket.engine=servlet").run(context -> {
            assertThat(context.getBean(AphelionProperties.class).getWebsocket().getEngine())
                    .isEqualTo(AphelionProperties.Engine.SERVLET);
            assertThat(context).doesNotHaveBean("aphelionNativeWebSocketEndpoint");
            assertThat(handlerPaths(context)).contains("/aphelion");
        });
    }

    @Test
    void unknownEngineFailsNamingTheKey() {
        runner.withPropertyValues("aphelion.websocket.engine=netty").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure())
                    .hasStackTraceContaining("Failed to bind properties under 'aphelion.websocket.engine'");
        });
    }

    @Test
    void lobbyIsTheDefaultGameMessageService() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(GameMessageService.class);
            assertThat(context).hasSingleBean(LobbyGameMessageService.class);
            assertThat(context).hasSingleBean(GameSessions.class);
            assertThat(context).hasSingleBean(HandshakeService.class);
            assertThat(context).hasSingleBean(AphelionWebSocketHandler.class);
        });
    }

    @Test
    void userGameMessageServiceBacksOffTheLobby() {
        runner.withUserConfiguration(UserGameConfiguration.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(GameMessageService.class);
            assertThat(context).doesNotHaveBean(LobbyGameMessageService.class);
            assertThat(context.getBean(GameMessageService.class)).isSameAs(context.getBean("userGame"));
            assertThat(context).hasSingleBean(HandshakeService.class);
        });
    }

    @Test
    void userSessionRegistryBacksOffTheDefault() {
        runner.withUserConfiguration(UserRegistryConfiguration.class).run(context -> {
            assertThat(context).hasSingleBean(SessionRegistry.class);
            assertThat(context.getBean(SessionRegistry.class)).isSameAs(context.getBean("userRegistry"));
        });
    }

    @Test
    void maxConnectionsBelowOneFailsNamingTheKey() {
        assertStartupFails("aphelion.session.max-connections=0", "aphelion.session.max-connections must be at least 1");
    }

    @Test
    void maxVersionBelowMinVersionFailsNamingTheKey() {
        assertStartupFails(List.of("aphelion.protocols.game.min-version=3", "aphelion.protocols.game.max-version=2"),
                "aphelion.protocols.game.max-version must not be below aphelion.protocols.game.min-version");
    }

    @Test
    void aClusterWithoutASecretFailsNamingTheKey() {
        assertStartupFails("aphelion.cluster.enabled=true", "aphelion.cluster.secret must be set, at least 16 characters");
    }

    @Test
    void aClusterAdvertiseAddressThatIsNotHostAndPortFailsNamingTheKey() {
        assertStartupFails(List.of("aphelion.cluster.enabled=true", "aphelion.cluster.secret=0123456789abcdef",
                "aphelion.cluster.advertise-address=node-1"), "aphelion.cluster.advertise-address must be host:port");
    }

    @Test
    void aClusterNodeTimeoutBelowTwoHeartbeatsFailsNamingTheKey() {
        assertStartupFails(List.of("aphelion.cluster.enabled=true", "aphelion.cluster.secret=0123456789abcdef",
                "aphelion.cluster.heartbeat-interval=2s", "aphelion.cluster.node-timeout=3s"),
                "aphelion.cluster.node-timeout must be at least twice");
    }

    @Test
    void aSingleNodeHasNoClusterBeans() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(io.aphelion.server.transport.RelayCredentials.class))
                    .isSameAs(io.aphelion.server.transport.RelayCredentials.NONE);
            assertThat(context).doesNotHaveBean(io.aphelion.server.session.SessionDirectory.class);
            assertThat(context).doesNotHaveBean(io.aphelion.server.protocol.game.OtherNodes.class);
        });
    }

    @Test
    void minVersionZeroFailsNamingTheKey() {
        assertStartupFails("aphelion.protocols.ping.min-version=0", "aphelion.protocols.ping.min-version");
    }

    @Test
    void pathWithoutLeadingSlashFailsNamingTheKey() {
        // A field error: the message names the property and the failure analyzer shows its value and origin.
        runner.withPropertyValues("aphelion.websocket.path=aphelion").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().isInstanceOf(BindValidationException.class)
                    .hasMessageContaining("on field 'websocket.path'")
                    .hasMessageContaining("must start with '/'");
        });
    }

    @Test
    void zeroExpiryFailsNamingTheKey() {
        assertStartupFails("aphelion.session.expiry=0s", "aphelion.session.expiry");
    }

    @Test
    void emptyAllowedOriginsFailsNamingTheKey() {
        assertStartupFails("aphelion.websocket.allowed-origins=", "aphelion.websocket.allowed-origins");
    }

    @Test
    void tinyMaxMessageSizeFailsNamingTheKey() {
        assertStartupFails("aphelion.websocket.max-message-size=1B", "aphelion.websocket.max-message-size");
    }

    @Test
    void everyBadKeyIsReportedAtOnce() {
        runner.withPropertyValues("aphelion.session.max-connections=0", "aphelion.websocket.path=nope").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().isInstanceOf(BindValidationException.class)
                    .hasMessageContaining("aphelion.session.max-connections")
                    .hasMessageContaining("websocket.path");
        });
    }

    private void assertStartupFails(String property, String key) {
        assertStartupFails(List.of(property), key);
    }

    private void assertStartupFails(List<String> properties, String key) {
        runner.withPropertyValues(properties.toArray(String[]::new)).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(BindValidationException.class)
                    .hasMessageContaining(key);
        });
    }

    private static List<String> handlerPaths(AssertableWebApplicationContext context) {
        return context.getBeansOfType(AbstractUrlHandlerMapping.class).values().stream()
                .flatMap(mapping -> mapping.getHandlerMap().entrySet().stream())
                .filter(entry -> entry.getValue() instanceof WebSocketHttpRequestHandler)
                .map(entry -> entry.getKey())
                .toList();
    }

    @Configuration(proxyBeanMethods = false)
    static class UserGameConfiguration {

        @Bean
        GameMessageService userGame() {
            return new GameMessageService() {
                @Override
                public void onMessage(GameSession session, C2S message) {
                }
            };
        }
    }

    /** A decorator that only has a name. */
    static final class NamedDecorator extends WebSocketHandlerDecorator {

        final String name;

        NamedDecorator(WebSocketHandler delegate, String name) {
            super(delegate);
            this.name = name;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserDecoratorsConfiguration {

        @Bean
        @Order(2)
        WebSocketHandlerDecoratorFactory secondDecorator() {
            return handler -> new NamedDecorator(handler, "second");
        }

        @Bean
        @Order(1)
        WebSocketHandlerDecoratorFactory firstDecorator() {
            return handler -> new NamedDecorator(handler, "first");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserRegistryConfiguration {

        @Bean
        SessionRegistry userRegistry(io.aphelion.server.support.Scheduler scheduler, TransportSettings settings) {
            return new SessionRegistry(scheduler, settings, io.aphelion.server.session.TransportMetrics.NONE);
        }
    }
}
