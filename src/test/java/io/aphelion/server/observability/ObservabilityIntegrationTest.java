package io.aphelion.server.observability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.ping.C2S;
import io.aphelion.proto.ping.S2C;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.TransportMetrics;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Actuator over real sockets: the Prometheus scrape shows the transport's metrics once a client
 * shook hands and pinged, and the health probes are UP with the {@code aphelion} indicator in
 * readiness; {@code /actuator/info} shows the build and the git commit.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "management.endpoint.health.show-details=always")
class ObservabilityIntegrationTest extends ServerTestSupport {

    private final HttpClient http = HttpClient.newHttpClient();

    @Autowired
    private TransportMetrics metrics;

    @Autowired
    private SessionRegistry sessions;

    @Test
    void transportReportsToMicrometer() {
        assertThat(metrics).isInstanceOf(MicrometerTransportMetrics.class);
    }

    @Test
    void prometheusShowsTheTransportAfterAHandshakeAndAPing() throws Exception {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), listener);
        // The first ack turns the connection into an acking one; the second ping's reply is timed.
        for (long clientTime = 1; clientTime <= 2; clientTime++) {
            connection.send(C2S.newBuilder().setClientTime(clientTime).build().toByteArray());
            assertThat(S2C.parseFrom(listener.next()).getClientTime()).isEqualTo(clientTime);
        }

        await().atMost(WAIT).untilAsserted(() -> {
            String scrape = get("/actuator/prometheus").body();
            assertThat(value(scrape, "aphelion_handshakes_total", "outcome=\"ok\",protocol=\"ping\"")).as("aphelion_handshakes_total").isGreaterThanOrEqualTo(1);
            assertThat(value(scrape, "aphelion_sessions_started_total", "protocol=\"ping\"")).as("aphelion_sessions_started_total").isGreaterThanOrEqualTo(1);
            assertThat(value(scrape, "aphelion_sessions", "protocol=\"ping\"")).as("aphelion_sessions").isGreaterThanOrEqualTo(1);
            assertThat(value(scrape, "aphelion_connections", null)).as("aphelion_connections").isGreaterThanOrEqualTo(1);
            // Init packet and pings in, init reply and ping replies out.
            assertThat(value(scrape, "aphelion_frames_total", "direction=\"in\"")).as("aphelion_frames_total").isGreaterThanOrEqualTo(2);
            assertThat(value(scrape, "aphelion_frames_total", "direction=\"out\"")).as("aphelion_frames_total").isGreaterThanOrEqualTo(2);
            assertThat(value(scrape, "aphelion_frame_bytes_total", "direction=\"in\"")).as("aphelion_frame_bytes_total").isGreaterThanOrEqualTo(39);
            // The client acked the second reply: one round trip sampled, histogram buckets published.
            assertThat(value(scrape, "aphelion_ack_rtt_seconds_count", null)).as("aphelion_ack_rtt_seconds_count").isGreaterThanOrEqualTo(1);
            assertThat(scrape).contains("aphelion_ack_rtt_seconds_bucket{le=");
        });
    }

    @Test
    void sendBufferGaugesShowMessagesAClientHasNotAcked() throws Exception {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), listener);
        // One acked reply makes this an acking client; then it stops acking.
        connection.send(C2S.newBuilder().setClientTime(1).build().toByteArray());
        listener.next();
        connection.send(C2S.newBuilder().setClientTime(2).build().toByteArray());
        listener.next();
        connection.autoAck(false);
        var session = sessions.find(sessions.liveSessions() > 0 ? lastSessionId() : -1).orElseThrow();
        for (int i = 0; i < 5; i++) {
            session.send(new byte[100], io.aphelion.server.session.Delivery.RELIABLE);
        }
        await().atMost(WAIT).untilAsserted(() -> {
            String scrape = get("/actuator/prometheus").body();
            assertThat(value(scrape, "aphelion_send_buffer_messages", null)).isGreaterThanOrEqualTo(5);
            assertThat(value(scrape, "aphelion_send_buffer_bytes", null)).isGreaterThanOrEqualTo(500);
        });
    }

    /** The id of the newest live session. */
    private long lastSessionId() {
        long[] newest = { -1 };
        sessions.forEach(WireFormat.PROTOCOL_PING, session -> newest[0] = Math.max(newest[0], session.id()));
        return newest[0];
    }

    @Test
    void livenessAndReadinessAreUp() throws Exception {
        HttpResponse<String> liveness = get("/actuator/health/liveness");
        HttpResponse<String> readiness = get("/actuator/health/readiness");

        assertThat(liveness.statusCode()).isEqualTo(200);
        assertThat(liveness.body()).contains("\"status\":\"UP\"");
        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(readiness.body()).contains("\"status\":\"UP\"").contains("\"aphelion\"")
                .contains("\"acceptingConnections\":true");
    }

    @Test
    void healthCountsSessionsAndConnections() throws Exception {
        connect(client(WireFormat.PROTOCOL_PING), new RecordingListener());

        String health = get("/actuator/health").body();

        assertThat(health).contains("\"liveSessions\":" + sessions.liveSessions())
                .contains("\"openConnections\":" + sessions.openConnections());
        assertThat(sessions.openConnections()).isPositive();
        assertThat(health).containsPattern("\"openWebSockets\":[1-9]");
    }

    @Test
    void metricsAndInfoEndpointsAreExposed() throws Exception {
        assertThat(get("/actuator/metrics/aphelion.handshakes").statusCode()).isEqualTo(200);
        assertThat(get("/actuator/info").statusCode()).isEqualTo(200);
    }

    @Test
    void theSessionsEndpointIsNotExposedByDefault() throws Exception {
        assertThat(get("/actuator/aphelionsessions").statusCode()).isEqualTo(404);
    }

    @Test
    void infoShowsTheBuildAndTheGitCommit() throws Exception {
        HttpResponse<String> info = get("/actuator/info");

        assertThat(info.statusCode()).isEqualTo(200);
        JsonNode body = JsonMapper.shared().readTree(info.body());
        assertThat(body.at("/build/version").asString()).isNotBlank();
        assertThat(body.at("/build/artifact").asString()).isEqualTo("aphelion-server");
        // Simple mode shows the abbreviated id: at least 7 hex digits.
        assertThat(body.at("/git/commit/id").asString()).matches("[0-9a-f]{7,40}");
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one series in a Prometheus scrape; -1 when absent. */
    static double value(String scrape, String name, String labels) {
        String series = Pattern.quote(name) + (labels == null ? "" : "\\{" + Pattern.quote(labels) + "[^}]*\\}");
        Matcher matcher = Pattern.compile("(?m)^" + series + " ([0-9.eE+-]+)$").matcher(scrape);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : -1;
    }
}
