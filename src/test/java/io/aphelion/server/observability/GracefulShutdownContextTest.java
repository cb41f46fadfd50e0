package io.aphelion.server.observability;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Closing the application context (what SIGTERM does) ends every session through the lifecycle,
 * before the web server stops: the user's {@code GameMessageService} hears
 * {@code sessionEnded(SHUTDOWN)} and its clients get 1001.
 */
class GracefulShutdownContextTest {

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

        @Bean
        RecordingGame recordingGame() {
            return new RecordingGame();
        }
    }

    @Test
    void closingTheContextEndsSessionsWithShutdown() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
                .properties("server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off")
                .run();
        RecordingGame game = context.getBean(RecordingGame.class);
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        try (AphelionClient client = AphelionClient.builder(URI.create("ws://127.0.0.1:" + port + "/aphelion"))
                .protocol(WireFormat.PROTOCOL_GAME).version(1).build()) {
            AphelionConnection first = client.connect(new RecordingListener()).get(10, TimeUnit.SECONDS);
            AphelionConnection second = client.connect(new RecordingListener()).get(10, TimeUnit.SECONDS);

            context.close();

            assertThat(first.closeFuture().get(10, TimeUnit.SECONDS).code()).isEqualTo(CloseCodes.GOING_AWAY);
            assertThat(second.closeFuture().get(10, TimeUnit.SECONDS).code()).isEqualTo(CloseCodes.GOING_AWAY);
            await().atMost(Duration.ofSeconds(10)).until(game::ended, ended -> ended.size() == 2);
            assertThat(game.ended()).containsOnly(SessionEndReason.SHUTDOWN);
        }
        finally {
            context.close();
        }
    }
}
