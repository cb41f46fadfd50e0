package io.aphelion.server.observability;

import io.aphelion.server.config.AphelionAutoConfiguration;
import io.aphelion.server.config.AphelionProperties;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.transport.OpenWebSockets;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The transport's life as operators see it: graceful shutdown, and the {@code aphelion} health
 * indicator when Actuator's health is present. Metrics are in
 * {@link AphelionMetricsAutoConfiguration}.
 */
@AutoConfiguration(after = AphelionAutoConfiguration.class)
public class AphelionObservabilityAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    GracefulShutdown aphelionGracefulShutdown(SessionRegistry sessions, OpenWebSockets webSockets,
            AphelionProperties properties) {
        return new GracefulShutdown(sessions, webSockets, properties.getShutdown().getTimeout());
    }

    /** The {@code aphelion} health indicator. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class HealthConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "aphelionHealthIndicator")
        AphelionHealthIndicator aphelionHealthIndicator(SessionRegistry sessions, OpenWebSockets webSockets) {
            return new AphelionHealthIndicator(sessions, webSockets);
        }
    }
}
