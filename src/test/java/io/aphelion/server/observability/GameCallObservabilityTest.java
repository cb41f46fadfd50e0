package io.aphelion.server.observability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.Command;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;

import static io.aphelion.server.observability.ObservabilityIntegrationTest.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The application's game over real sockets, as operators see it: what it logs for a session
 * carries the session id (with the logging pattern docs/OPERATING.md shows), each call is timed
 * by method and outcome, and the game pool's executor meters are in the Prometheus scrape.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.pattern.level=%5p [session=%X{aphelion.session:-none}]")
@ExtendWith(OutputCaptureExtension.class)
class GameCallObservabilityTest extends ServerTestSupport {

    @TestConfiguration(proxyBeanMethods = false)
    static class GameConfiguration {

        @Bean
        LoggingGame loggingGame() {
            return new LoggingGame();
        }
    }

    /** Logs every message and the session's start; a "fail" command throws. Remembers each session's id. */
    static class LoggingGame implements GameMessageService {

        private static final Logger log = LoggerFactory.getLogger(LoggingGame.class);

        /** Session ids by the text of the command that the session sent. */
        final Map<String, Long> sessionsByCommand = new ConcurrentHashMap<>();

        @Override
        public void sessionStarted(GameSession session) {
            log.info("game: a player arrives");
        }

        @Override
        public void onMessage(GameSession session, C2S message) {
            for (Command command : message.getCommandList()) {
                sessionsByCommand.put(command.getName(), session.id());
                log.info("game: command {}", command.getName());
                if (command.getName().equals("fail")) {
                    throw new IllegalStateException("the game failed on purpose");
                }
            }
        }

        @Override
        public void sessionEnded(GameSession session, SessionEndReason reason) {
            log.info("game: a player leaves");
        }
    }

    private final HttpClient http = HttpClient.newHttpClient();

    @Autowired
    private LoggingGame game;

    @Autowired
    private ApplicationContext context;

    @Test
    void theApplicationsBeanStaysItself() {
        assertThat(context.getBean(GameMessageService.class)).isSameAs(game);
    }

    @Test
    void whatTheGameLogsForASessionCarriesItsId(CapturedOutput output) {
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_GAME), new RecordingListener());
        connection.send(command("hello-log"));

        await().atMost(WAIT).until(() -> game.sessionsByCommand.containsKey("hello-log"));
        long id = game.sessionsByCommand.get("hello-log");
        await().atMost(WAIT).untilAsserted(() -> assertThat(output.getOut())
                .containsPattern("\\[session=" + id + "\\].*game: a player arrives")
                .containsPattern("\\[session=" + id + "\\].*game: command hello-log"));
        // The test's own thread logs on no session's behalf.
        LoggerFactory.getLogger(GameCallObservabilityTest.class).info("test: outside any session");
        assertThat(output.getOut()).containsPattern("\\[session=none\\].*test: outside any session");
    }

    @Test
    void gameCallsAreTimedByMethodAndOutcome() throws Exception {
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_GAME), new RecordingListener());
        connection.send(command("ok"));
        connection.send(command("fail"));

        await().atMost(WAIT).untilAsserted(() -> {
            String scrape = scrape();
            assertThat(value(scrape, "aphelion_game_calls_seconds_count", "method=\"onMessage\",outcome=\"success\""))
                    .isGreaterThanOrEqualTo(1);
            assertThat(value(scrape, "aphelion_game_calls_seconds_count", "method=\"onMessage\",outcome=\"error\""))
                    .isGreaterThanOrEqualTo(1);
            assertThat(value(scrape, "aphelion_game_calls_seconds_count", "method=\"sessionStarted\",outcome=\"success\""))
                    .isGreaterThanOrEqualTo(1);
            assertThat(value(scrape, "aphelion_game_calls_seconds_count", "method=\"connectionAdded\",outcome=\"success\""))
                    .isGreaterThanOrEqualTo(1);
            assertThat(scrape).contains("aphelion_game_calls_seconds_bucket{method=\"onMessage\",outcome=\"success\",le=");
        });
    }

    @Test
    void theGamePoolsExecutorMetersAreScraped() throws Exception {
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_GAME), new RecordingListener());
        connection.send(command("pool"));
        await().atMost(WAIT).until(() -> game.sessionsByCommand.containsKey("pool"));

        await().atMost(WAIT).untilAsserted(() -> {
            String scrape = scrape();
            assertThat(value(scrape, "executor_completed_tasks_total", "name=\"aphelion.game\"")).isGreaterThanOrEqualTo(1);
            assertThat(value(scrape, "executor_pool_max_threads", "name=\"aphelion.game\"")).isGreaterThanOrEqualTo(8);
            assertThat(value(scrape, "executor_queued_tasks", "name=\"aphelion.game\"")).isNotNegative();
            assertThat(value(scrape, "executor_active_threads", "name=\"aphelion.game\"")).isNotNegative();
        });
    }

    private static byte[] command(String name) {
        return C2S.newBuilder().addCommand(Command.newBuilder().setName(name)).build().toByteArray();
    }

    private String scrape() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
