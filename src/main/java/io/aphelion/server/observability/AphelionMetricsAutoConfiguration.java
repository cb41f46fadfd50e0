package io.aphelion.server.observability;

import java.util.concurrent.ExecutorService;

import io.aphelion.server.config.AphelionAutoConfiguration;
import io.aphelion.server.config.AphelionProperties;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.TransportMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ExecutorServiceMetrics;
import io.micrometer.observation.ObservationPredicate;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.http.server.observation.ServerRequestObservationContext;

/**
 * Micrometer binding of the transport: its {@link TransportMetrics} events, the session
 * registry's gauges, the game's call timers ({@link GameCallMetrics}) and the game pool's
 * executor meters. Only when a {@link MeterRegistry} exists (so after Boot's metrics
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

    /** The {@code name} tag of the game pool's executor meters. */
    public static final String GAME_EXECUTOR_TAG = "aphelion.game";

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

    @Bean
    @ConditionalOnMissingBean(GameCallMetrics.class)
    MicrometerGameCallMetrics aphelionGameCallMetrics(MeterRegistry registry) {
        return new MicrometerGameCallMetrics(registry);
    }

    /**
     * The game pool's threads, queue and completed tasks, as Micrometer's {@code executor.*}
     * meters tagged {@code name=}{@value #GAME_EXECUTOR_TAG}.
     */
    @Bean
    @ConditionalOnMissingBean(name = "aphelionGameExecutorMetrics")
    ExecutorServiceMetrics aphelionGameExecutorMetrics(@Qualifier("aphelionGameExecutor") ExecutorService executor) {
        return new ExecutorServiceMetrics(executor, GAME_EXECUTOR_TAG, Tags.empty());
    }

    /**
     * Keeps websocket upgrades out of Spring MVC's {@code http.server.requests} observation. An
     * upgraded request never completes, so its observation context would be held for the life of
     * the connection (heap per connection, and work per handshake) for a timer that measures
     * nothing useful; connections are measured by the {@code aphelion.*} meters instead.
     */
    @Bean
    ObservationPredicate aphelionUpgradeObservationFilter(AphelionProperties properties) {
        String path = properties.getWebsocket().getPath();
        return (name, context) -> !(context instanceof ServerRequestObservationContext request
                && path.equals(request.getCarrier().getRequestURI()));
    }
}
