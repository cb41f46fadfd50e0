package io.aphelion.server.observability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.HexFormat;

import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.ping.C2S;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code aphelionsessions} endpoint over real sockets, exposed as docs/OPERATING.md shows:
 * it lists live sessions with what an operator needs and never their token, reads one by id,
 * closes one (its client sees 1000), and answers 404 for an id that is not live.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "management.endpoints.web.exposure.include=health,aphelionsessions")
class AphelionSessionsEndpointTest extends ServerTestSupport {

    private final HttpClient http = HttpClient.newHttpClient();

    @Autowired
    private SessionRegistry registry;

    @Test
    void listsEveryLiveSessionWithItsFieldsAndNoToken() throws Exception {
        RecordingListener pings = new RecordingListener();
        AphelionConnection ping = connect(client(WireFormat.PROTOCOL_PING), pings);
        AphelionConnection game = connect(client(WireFormat.PROTOCOL_GAME), new RecordingListener());
        // Two acked ping replies: the ping session has a round-trip time.
        for (long clientTime = 1; clientTime <= 2; clientTime++) {
            ping.send(C2S.newBuilder().setClientTime(clientTime).build().toByteArray());
            pings.next();
        }
        long pingId = id(ping);
        long gameId = id(game);

        await().atMost(WAIT).untilAsserted(() -> assertThat(entry(list(), pingId).get("roundTripTimeMillis").isNumber())
                .as("round trip of the ping session").isTrue());
        HttpResponse<String> response = get("/actuator/aphelionsessions");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode pingEntry = entry(JsonMapper.shared().readTree(response.body()), pingId);
        assertThat(pingEntry.get("protocol").asString()).isEqualTo("ping");
        assertThat(pingEntry.get("version").asInt()).isEqualTo(1);
        assertThat(pingEntry.get("state").asString()).isEqualTo("LIVE");
        assertThat(pingEntry.get("connections").asInt()).isEqualTo(1);
        assertThat(pingEntry.get("remoteAddress").asString()).startsWith("127.0.0.1:");
        assertThat(pingEntry.get("bufferedBytes").isNumber()).isTrue();
        assertThat(pingEntry.get("bufferedMessages").isNumber()).isTrue();
        assertThat(pingEntry.get("roundTripTimeMillis").asDouble()).isNotNegative();
        JsonNode gameEntry = entry(JsonMapper.shared().readTree(response.body()), gameId);
        assertThat(gameEntry.get("protocol").asString()).isEqualTo("game");
        assertThat(gameEntry.get("roundTripTimeMillis").isNull()).as("no ack yet").isTrue();

        for (AphelionConnection connection : new AphelionConnection[] { ping, game }) {
            byte[] token = connection.token().toBytes();
            assertThat(response.body()).doesNotContainIgnoringCase(HexFormat.of().formatHex(token))
                    .doesNotContain(Base64.getEncoder().encodeToString(token))
                    .doesNotContain(Base64.getUrlEncoder().withoutPadding().encodeToString(token))
                    .doesNotContainIgnoringCase("token");
        }
    }

    @Test
    void readsOneSessionByIdAnd404ForAnUnknownOne() throws Exception {
        AphelionConnection game = connect(client(WireFormat.PROTOCOL_GAME), new RecordingListener());
        long id = id(game);

        HttpResponse<String> one = get("/actuator/aphelionsessions/" + id);
        assertThat(one.statusCode()).isEqualTo(200);
        JsonNode session = JsonMapper.shared().readTree(one.body());
        assertThat(session.get("id").asLong()).isEqualTo(id);
        assertThat(session.get("protocol").asString()).isEqualTo("game");
        assertThat(session.get("connections").asInt()).isEqualTo(1);

        assertThat(get("/actuator/aphelionsessions/987654321").statusCode()).isEqualTo(404);
    }

    @Test
    void closesASessionByIdItsClientSees1000() throws Exception {
        AphelionConnection game = connect(client(WireFormat.PROTOCOL_GAME), new RecordingListener());
        long id = id(game);

        HttpResponse<String> closed = send(HttpRequest.newBuilder(uri("/actuator/aphelionsessions/" + id)).DELETE());

        assertThat(closed.statusCode()).isEqualTo(200);
        assertThat(JsonMapper.shared().readTree(closed.body()).get("id").asLong()).isEqualTo(id);
        AphelionConnection.CloseStatus status = closeStatus(game);
        assertThat(status.code()).isEqualTo(CloseCodes.NORMAL);
        assertThat(status.reason()).isEqualTo(AphelionSessionsEndpoint.CLOSE_REASON);
        assertThat(registry.find(id)).isEmpty();
        assertThat(get("/actuator/aphelionsessions/" + id).statusCode()).isEqualTo(404);
        await().atMost(WAIT).untilAsserted(() -> assertThat(list().get("sessions").valueStream()
                .map(entry -> entry.get("id").asLong())).doesNotContain(id));
    }

    @Test
    void closingAnUnknownSessionIs404() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/actuator/aphelionsessions/987654321")).DELETE());

        assertThat(response.statusCode()).isEqualTo(404);
    }

    /** The id of the live session a connection belongs to. */
    private long id(AphelionConnection connection) {
        long[] id = { -1 };
        for (int protocol : new int[] { WireFormat.PROTOCOL_PING, WireFormat.PROTOCOL_GAME }) {
            registry.forEach(protocol, session -> {
                if (session.token().equals(connection.token())) {
                    id[0] = session.id();
                }
            });
        }
        assertThat(id[0]).as("session of " + connection.token()).isNotNegative();
        return id[0];
    }

    private JsonNode list() throws IOException, InterruptedException {
        return JsonMapper.shared().readTree(get("/actuator/aphelionsessions").body());
    }

    private static JsonNode entry(JsonNode list, long id) {
        return list.get("sessions").valueStream().filter(entry -> entry.get("id").asLong() == id).findFirst()
                .orElseThrow(() -> new AssertionError("session " + id + " not listed in " + list));
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
