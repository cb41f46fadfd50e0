package io.aphelion.server.observability;

import io.aphelion.server.config.AphelionAutoConfiguration;
import io.aphelion.server.config.AphelionProperties;
import com.google.protobuf.MessageLite;

import io.aphelion.server.protocol.game.GameService;
import io.aphelion.server.protocol.game.GameServiceDecorator;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.transport.OpenWebSockets;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * The transport's life as operators see it: graceful shutdown, the session id in the logging
 * context of every game call, and with Actuator the {@code aphelion} health indicator and the
 * {@code aphelionsessions} endpoint. Metrics are in
 * {@link AphelionMetricsAutoConfiguration}.
 */
@AutoConfiguration(after = AphelionAutoConfiguration.class)
public class AphelionObservabilityAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    GracefulShutdown aphelionGracefulShutdown(SessionRegistry sessions, OpenWebSockets webSockets,
            AphelionProperties properties, ObjectProvider<SessionHandover> handover) {
        return new GracefulShutdown(sessions, webSockets, properties.getShutdown().getTimeout(),
                handover.getIfAvailable(() -> SessionHandover.NONE));
    }

    /**
     * Wraps the application's {@code GameService} in {@link ObservedGameService}:
     * the session id in the MDC during each call, and call timers when
     * {@link AphelionMetricsAutoConfiguration} declared {@link GameCallMetrics}. Last in order, so
     * it is the outermost decorator and the application's own decorators log with the MDC set.
     */
    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    @ConditionalOnMissingBean(name = "aphelionObservedGameService")
    GameServiceDecorator aphelionObservedGameService(ObjectProvider<GameCallMetrics> metrics) {
        return new GameServiceDecorator() {
            @Override
            public <C extends MessageLite, S extends MessageLite> GameService<C, S> decorate(GameService<C, S> service) {
                return new ObservedGameService<>(service, metrics.getIfAvailable(() -> GameCallMetrics.NONE));
            }
        };
    }

    /**
     * The {@code aphelionsessions} endpoint, when Actuator is present and the endpoint is
     * available (exposed over the web or JMX, and its access not turned off).
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(Endpoint.class)
    @ConditionalOnAvailableEndpoint(AphelionSessionsEndpoint.class)
    static class SessionsEndpointConfiguration {

        @Bean
        @ConditionalOnMissingBean
        AphelionSessionsEndpoint aphelionSessionsEndpoint(SessionRegistry sessions) {
            return new AphelionSessionsEndpoint(sessions);
        }

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnAvailableEndpoint(exposure = EndpointExposure.WEB)
        AphelionSessionsEndpointWebExtension aphelionSessionsEndpointWebExtension(AphelionSessionsEndpoint endpoint) {
            return new AphelionSessionsEndpointWebExtension(endpoint);
        }
    }

    /** The {@code aphelion} health indicator. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class HealthConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "aphelionHealthIndicator")
        AphelionHealthIndicator aphelionHealthIndicator(SessionRegistry sessions, OpenWebSockets webSockets,
                ObjectProvider<ClusterHealth> cluster) {
            return new AphelionHealthIndicator(sessions, webSockets, cluster.getIfAvailable());
        }
    }
}
