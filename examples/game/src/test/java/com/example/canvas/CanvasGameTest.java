package com.example.canvas;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.example.canvas.proto.CanvasC2S;
import com.example.canvas.proto.CanvasS2C;
import com.example.canvas.proto.Paint;
import com.google.protobuf.InvalidProtocolBufferException;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The canvas game over real sockets, as its players see it: its own messages both ways, a stroke
 * reaching every player who joined, a refusal, and the server's readiness and defaults that came
 * with the one dependency.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "management.endpoint.health.show-components=always")
class CanvasGameTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @LocalServerPort
    private int port;

    /** One player: a connection of protocol 2 and what arrives on it. */
    private final class Player {

        final BlockingQueue<CanvasS2C> received = new LinkedBlockingQueue<>();
        final AphelionConnection connection;

        Player() {
            AphelionClient client = AphelionClient.builder(URI.create("ws://127.0.0.1:" + port + "/aphelion"))
                    .protocol(WireFormat.PROTOCOL_GAME).version(1).build();
            connection = client.connect((AphelionConnection from, ByteBuffer payload) -> {
                try {
                    received.add(CanvasS2C.parseFrom(payload));
                }
                catch (InvalidProtocolBufferException ex) {
                    throw new IllegalStateException("Not a CanvasS2C", ex);
                }
            }).join();
        }

        void send(CanvasC2S message) {
            connection.send(message.toByteArray()).join();
        }

        CanvasS2C next() throws InterruptedException {
            CanvasS2C message = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(message).as("a message within %s", WAIT).isNotNull();
            return message;
        }
    }

    @Test
    void aStrokeReachesEveryPlayerWhoJoinedAndLaterPlayersSeeTheCanvas() throws InterruptedException {
        Player alice = new Player();
        Player bob = new Player();
        alice.send(CanvasC2S.newBuilder().setJoin("alice").build());
        bob.send(CanvasC2S.newBuilder().setJoin("bob").build());
        alice.next();
        bob.next();

        alice.send(CanvasC2S.newBuilder().setPaint(Paint.newBuilder().setX(3).setY(4).setColor(0xFF0000)).build());

        for (Player player : new Player[] { alice, bob }) {
            CanvasS2C update = player.next();
            assertThat(update.getStroke().getPainter()).isEqualTo("alice");
            assertThat(update.getStroke().getPaint().getColor()).isEqualTo(0xFF0000);
        }
        Player carol = new Player();
        carol.send(CanvasC2S.newBuilder().setJoin("carol").build());
        assertThat(carol.next().getCanvasList()).anySatisfy(stroke -> assertThat(stroke.getPaint().getX()).isEqualTo(3));
    }

    @Test
    void paintingBeforeJoiningIsRefused() throws InterruptedException {
        Player player = new Player();

        player.send(CanvasC2S.newBuilder().setPaint(Paint.newBuilder().setX(1).setY(1)).build());

        assertThat(player.next().getRefused()).isEqualTo("Join before you paint");
    }

    @Test
    void theServersReadinessAndDefaultsCameWithTheDependency() throws Exception {
        HttpResponse<String> readiness = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(readiness.body()).contains("\"aphelion\"");
    }
}
