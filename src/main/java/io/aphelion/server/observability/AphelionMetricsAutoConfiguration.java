package io.aphelion.server.observability;

import io.aphelion.server.config.AphelionAutoConfiguration;
import io.aphelion.server.session.SessionRegistry;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer binding of the transport: its {@link TransportMetrics} events and the session
 * registry's gauges. Only when a {@link MeterRegistry} exists (so after Boot's metrics
 * auto-configuration), and before {@link AphelionAutoConfiguration}, whose session registry and
 * connections take the {@link TransportMetrics} bean declared here. Without it they report to
 * {@link TransportMetrics#NONE}.
 */
@AutoConfiguration(before = AphelionAutoConfiguration.class,
        afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration" })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
public class AphelionMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(TransportMetrics.class)
    MicrometerTransportMetrics aphelionTransportMetrics(MeterRegistry registry) {
        return new MicrometerTransportMetrics(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    SessionGauges aphelionSessionGauges(SessionRegistry sessions) {
        return new SessionGauges(sessions);
    }
}
