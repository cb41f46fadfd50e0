package io.aphelion.server.observability;

import java.time.Duration;

import io.aphelion.server.config.AphelionAutoConfiguration;
import io.aphelion.server.config.AphelionProperties;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.GameServiceDecorator;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.TransportMetrics;
import io.aphelion.server.transport.OpenWebSockets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The observability auto-configurations in a context without a server: metrics only with a
 * {@link MeterRegistry}, beans that back off, the health indicator's states, and the shutdown
 * and trusted-proxy keys.
 */
class AphelionObservabilityAutoConfigurationTest {

    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AphelionMetricsAutoConfiguration.class,
                    AphelionObservabilityAutoConfiguration.class, AphelionAutoConfiguration.class));

    @Test
    void withoutAMeterRegistryTheTransportReportsNothing() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(TransportMetrics.class);
            assertThat(context).hasSingleBean(GracefulShutdown.class);
            assertThat(context).hasSingleBean(AphelionHealthIndicator.class);
        });
    }

    @Test
    void withAMeterRegistryTheRegistryReportsToMicrometer() {
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
            assertThat(context).hasSingleBean(MicrometerTransportMetrics.class);
            assertThat(context).hasSingleBean(SessionGauges.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.find("aphelion.frames").counters()).hasSize(2);
        });
    }

    @Test
    void aUserTransportMetricsBeanBacksTheDefaultOff() {
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withUserConfiguration(UserMetrics.class)
                .run(context -> {
                    assertThat(context).doesNotHaveBean(MicrometerTransportMetrics.class);
                    assertThat(context.getBean(TransportMetrics.class)).isSameAs(UserMetrics.METRICS);
                });
    }

    @Test
    void withoutAMeterRegistryGameCallsGetTheMdcButNoTimers() {
        runner.run(context -> {
            assertThat(context).doesNotHaveBean(GameCallMetrics.class);
            assertThat(context).doesNotHaveBean("aphelionGameExecutorMetrics");
            GameServiceDecorator decorator = context.getBean("aphelionObservedGameService",
                    GameServiceDecorator.class);
            assertThat(decorator.decorate(context.getBean(GameMessageService.class)))
                    .isInstanceOf(ObservedGameService.class);
        });
    }

    @Test
    void withAMeterRegistryGameCallsAndTheGamePoolAreMeasured() {
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
            assertThat(context).hasSingleBean(MicrometerGameCallMetrics.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            // Eight methods (six on any node, sessionArrived and sessionDeparted in a cluster), two outcomes:
            // all there before the first call.
            assertThat(registry.find(MicrometerGameCallMetrics.NAME).timers()).hasSize(16);
            assertThat(registry.find(MicrometerGameCallMetrics.NAME).tags("method", "onMessage", "outcome", "error")
                    .timer()).isNotNull();

            SimpleMeterRegistry pool = new SimpleMeterRegistry();
            context.getBean("aphelionGameExecutorMetrics", MeterBinder.class).bindTo(pool);
            int threads = context.getBean(AphelionProperties.class).getGame().effectiveThreads();
            assertThat(pool.get("executor.pool.max").tag("name", "aphelion.game").gauge().value()).isEqualTo(threads);
        });
    }

    @Test
    void theApplicationsGameMessageServiceStaysTheBeanItDeclared() {
        runner.withBean("userGame", GameMessageService.class, () -> (session, message) -> { })
                .run(context -> assertThat(context.getBean(GameMessageService.class))
                        .isSameAs(context.getBean("userGame"))
                        .isNotInstanceOf(ObservedGameService.class));
    }

    @Test
    void theSessionsEndpointExistsOnlyWhenExposed() {
        runner.run(context -> assertThat(context).doesNotHaveBean(AphelionSessionsEndpoint.class));
        runner.withPropertyValues("management.endpoints.web.exposure.include=health,aphelionsessions")
                .run(context -> assertThat(context).hasSingleBean(AphelionSessionsEndpoint.class)
                        .hasSingleBean(AphelionSessionsEndpointWebExtension.class));
    }

    @Test
    void healthIsUpUntilShutdownThenOutOfService() {
        runner.run(context -> {
            AphelionHealthIndicator health = context.getBean(AphelionHealthIndicator.class);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
            assertThat(health.health().getDetails()).containsEntry("acceptingConnections", true)
                    .containsEntry("liveSessions", 0).containsEntry("openConnections", 0);

            context.getBean(GracefulShutdown.class).stop();

            assertThat(context.getBean(OpenWebSockets.class).isAdmitting()).isFalse();
            assertThat(health.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
            assertThat(context.getBean(SessionRegistry.class).liveSessions()).isZero();
        });
    }

    @Test
    void aStoppedContextThatStartsAgainAdmitsAgain() {
        // The test framework pauses cached contexts (stop) and resumes them (start).
        runner.run(context -> {
            context.stop();
            assertThat(context.getBean(AphelionHealthIndicator.class).health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);

            context.start();

            assertThat(context.getBean(AphelionHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
            assertThat(context.getBean(OpenWebSockets.class).isAdmitting()).isTrue();
        });
    }

    @Test
    void shutdownStopsBeforeTheWebServer() {
        runner.run(context -> assertThat(context.getBean(GracefulShutdown.class).getPhase())
                .isGreaterThan(WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE));
    }

    @Test
    void shutdownTimeoutDefaultsToTenSecondsAndBinds() {
        runner.run(context -> assertThat(context.getBean(AphelionProperties.class).getShutdown().getTimeout())
                .isEqualTo(Duration.ofSeconds(10)));
        runner.withPropertyValues("aphelion.shutdown.timeout=2s").run(context -> assertThat(
                context.getBean(AphelionProperties.class).getShutdown().getTimeout()).isEqualTo(Duration.ofSeconds(2)));
    }

    @Test
    void negativeShutdownTimeoutFailsNamingTheKey() {
        runner.withPropertyValues("aphelion.shutdown.timeout=-1s").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().isInstanceOf(BindValidationException.class)
                    .hasMessageContaining("aphelion.shutdown.timeout");
        });
    }

    @Test
    void trustedProxiesDefaultToNobodyAndBindAList() {
        runner.run(context -> assertThat(context.getBean(AphelionProperties.class).getWebsocket().getTrustedProxies())
                .isEmpty());
        runner.withPropertyValues("aphelion.websocket.trusted-proxies=127.0.0.1, 10.0.0.0/8").run(context -> assertThat(
                context.getBean(AphelionProperties.class).getWebsocket().getTrustedProxies())
                .containsExactly("127.0.0.1", "10.0.0.0/8"));
    }

    @Test
    void aTrustedProxyThatIsNotAnAddressFailsNamingTheKeyAndEntry() {
        runner.withPropertyValues("aphelion.websocket.trusted-proxies=proxy.example.com").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().isInstanceOf(BindValidationException.class)
                    .hasMessageContaining("aphelion.websocket.trusted-proxies")
                    .hasMessageContaining("proxy.example.com");
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class UserMetrics {

        static final TransportMetrics METRICS = new TransportMetrics() {
        };

        @Bean
        TransportMetrics userTransportMetrics() {
            return METRICS;
        }
    }
}
