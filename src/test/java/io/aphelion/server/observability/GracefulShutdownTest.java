package io.aphelion.server.observability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.aphelion.client.AphelionConnection;
import io.aphelion.client.AphelionHandshakeException;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Graceful shutdown while the web server still runs (its own stop comes later): every session
 * ends with 1001 and {@code sessionEnded(SHUTDOWN)}, a websocket still waiting for its init
 * packet gets 1001 too, readiness goes OUT_OF_SERVICE at once and new websockets are refused.
 * Stops the server's lifecycle bean, so the context is thrown away afterwards.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "management.endpoint.health.show-details=always")
@DirtiesContext
class GracefulShutdownTest extends ServerTestSupport {

    @TestConfiguration(proxyBeanMethods = false)
    static class GameConfiguration {

        @Bean
        RecordingGame recordingGame() {
            return new RecordingGame();
        }
    }

    private final HttpClient http = HttpClient.newHttpClient();

    @Autowired
    private GracefulShutdown shutdown;

    @Autowired
    private RecordingGame game;

    @Test
    void shutdownEndsEverySessionWithGoingAwayAndTurnsReadinessOff() throws Exception {
        AphelionConnection first = connect(client(WireFormat.PROTOCOL_GAME), new RecordingListener());
        AphelionConnection second = connect(client(WireFormat.PROTOCOL_GAME), new RecordingListener());
        AphelionConnection ping = connect(client(WireFormat.PROTOCOL_PING), new RecordingListener());
        CompletableFuture<Integer> awaitingInit = openWithoutInit();
        assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);

        shutdown.stop();

        assertThat(closeStatus(first).code()).isEqualTo(CloseCodes.GOING_AWAY);
        assertThat(closeStatus(second).code()).isEqualTo(CloseCodes.GOING_AWAY);
        assertThat(closeStatus(ping).code()).isEqualTo(CloseCodes.GOING_AWAY);
        assertThat(awaitingInit.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(CloseCodes.GOING_AWAY);
        await().atMost(WAIT).until(game::ended, ended -> ended.size() == 2);
        assertThat(game.ended()).containsOnly(SessionEndReason.SHUTDOWN);

        HttpResponse<String> readiness = get("/actuator/health/readiness");
        assertThat(readiness.statusCode()).isEqualTo(503);
        assertThat(readiness.body()).contains("\"status\":\"OUT_OF_SERVICE\"").contains("\"acceptingConnections\":false");
        assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);

        assertThatThrownBy(() -> join(client(WireFormat.PROTOCOL_GAME).connect(new RecordingListener())))
                .hasCauseInstanceOf(AphelionHandshakeException.class)
                .satisfies(refused -> assertThat(((AphelionHandshakeException) refused.getCause()).closeCode())
                        .isEqualTo(CloseCodes.GOING_AWAY));
    }

    /** Opens a websocket on the endpoint that never sends its init packet; completes with its close code. */
    private CompletableFuture<Integer> openWithoutInit() throws InterruptedException, ExecutionException {
        CompletableFuture<Integer> closeCode = new CompletableFuture<>();
        http.newWebSocketBuilder().buildAsync(uri(), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closeCode.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closeCode.completeExceptionally(error);
            }
        }).get();
        return closeCode;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
