package io.aphelion.server.deploy;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.game.Command;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped Grafana dashboard and Prometheus alerts name only metrics that a running server
 * publishes: every metric in their PromQL is looked up in a real {@code /actuator/prometheus}
 * scrape after some traffic (handshakes, a refused one, pings with acks, a game message, a
 * close). And docs/OPERATING.md's metric table lists exactly the {@code aphelion_*} metrics
 * the scrape has, and every {@code executor_*} one it documents is there.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class MonitoringFilesTest extends ServerTestSupport {

    private static final Path DASHBOARD = Path.of("deploy/grafana/aphelion-dashboard.json");
    private static final Path ALERTS = Path.of("deploy/prometheus/aphelion-alerts.yml");
    private static final Path OPERATING = Path.of("docs/OPERATING.md");

    /** A metric name in PromQL or Markdown: the server's, the game pool's, the JVM's and the process's. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:aphelion|executor|jvm|process)_[a-z0-9_]*[a-z0-9])\\b");

    /** Series suffixes of a timer or histogram, whose base name is what the table documents. */
    private static final List<String> SERIES_SUFFIXES = List.of("_bucket", "_count", "_sum", "_max");

    private final HttpClient http = HttpClient.newHttpClient();

    private Set<String> scraped;

    @BeforeEach
    void trafficThenScrape() throws Exception {
        RecordingListener pings = new RecordingListener();
        AphelionConnection ping = connect(client(WireFormat.PROTOCOL_PING), pings);
        for (long clientTime = 1; clientTime <= 2; clientTime++) {
            ping.send(io.aphelion.proto.ping.C2S.newBuilder().setClientTime(clientTime).build().toByteArray());
            pings.next();
        }
        AphelionConnection game = connect(client(WireFormat.PROTOCOL_GAME), new RecordingListener());
        game.send(io.aphelion.proto.game.C2S.newBuilder().addCommand(Command.newBuilder().setName("who")).build()
                .toByteArray());
        refusedHandshake();
        ping.close(CloseCodes.GOING_AWAY, "bye");
        closeStatus(ping);

        await().atMost(WAIT).untilAsserted(() -> {
            scraped = seriesNames(scrape());
            // What the traffic makes appear, so the checks below see a complete scrape.
            assertThat(scraped).contains("aphelion_ack_rtt_seconds_bucket", "aphelion_connections_closed_total",
                    "aphelion_game_calls_seconds_bucket", "executor_completed_tasks_total");
        });
    }

    @Test
    void everyMetricTheDashboardUsesIsScraped() throws IOException {
        Set<String> used = metricNames(dashboardExpressions());

        assertThat(used).as("metrics in " + DASHBOARD).contains("aphelion_connections", "aphelion_ack_rtt_seconds_bucket",
                "aphelion_game_calls_seconds_bucket", "executor_queued_tasks");
        assertThat(scraped).as("series in the scrape").containsAll(used);
    }

    @Test
    void everyMetricTheAlertsUseIsScraped() throws IOException {
        Set<String> used = metricNames(alertExpressions());

        assertThat(used).as("metrics in " + ALERTS).contains("aphelion_slow_clients_total", "aphelion_handshakes_total",
                "aphelion_ack_rtt_seconds_bucket", "executor_active_threads");
        assertThat(scraped).as("series in the scrape").containsAll(used);
    }

    @Test
    void operatingMdDocumentsTheMetricsTheServerPublishes() throws IOException {
        Set<String> documented = documentedMetrics();
        assertThat(documented).contains("aphelion_connections", "aphelion_game_calls_seconds", "executor_queued_tasks");

        for (String name : documented) {
            assertThat(scraped).as(name + " in " + OPERATING + " but not in the scrape")
                    .containsAnyOf(name, name + "_count");
        }
        for (String series : scraped) {
            if (series.startsWith("aphelion_")) {
                assertThat(documented).as(series + " in the scrape but not in " + OPERATING)
                        .containsAnyOf(series, baseName(series));
            }
        }
    }

    /** Every PromQL expression of the dashboard: panel targets (rows included) and variable queries. */
    private static List<String> dashboardExpressions() throws IOException {
        JsonNode dashboard = JsonMapper.shared().readTree(Files.readString(DASHBOARD, StandardCharsets.UTF_8));
        List<String> expressions = new ArrayList<>();
        collectTargets(dashboard.get("panels"), expressions);
        for (JsonNode variable : dashboard.at("/templating/list")) {
            JsonNode query = variable.get("query");
            if (variable.get("type").asString().equals("query")) {
                expressions.add(query.isObject() ? query.get("query").asString() : query.asString());
            }
        }
        assertThat(expressions).isNotEmpty();
        return expressions;
    }

    private static void collectTargets(JsonNode panels, List<String> expressions) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                assertThat(target.get("expr")).as("target of panel " + panel.get("title")).isNotNull();
                expressions.add(target.get("expr").asString());
            }
            if (panel.has("panels")) {
                collectTargets(panel.get("panels"), expressions);
            }
        }
    }

    /** Every rule's expression in the alerts file. */
    @SuppressWarnings("unchecked")
    private static List<String> alertExpressions() throws IOException {
        Map<String, Object> file;
        try (Reader reader = Files.newBufferedReader(ALERTS, StandardCharsets.UTF_8)) {
            file = new Yaml().load(reader);
        }
        List<String> expressions = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                assertThat(rule).as("rule").containsKeys("alert", "expr", "labels", "annotations");
                expressions.add(rule.get("expr").toString());
            }
        }
        assertThat(expressions).isNotEmpty();
        return expressions;
    }

    /** Metric names of the first column of OPERATING.md's tables. */
    private static Set<String> documentedMetrics() throws IOException {
        Set<String> names = new TreeSet<>();
        for (String line : Files.readAllLines(OPERATING, StandardCharsets.UTF_8)) {
            if (line.startsWith("| `")) {
                names.addAll(metricNames(List.of(line.split("\\|")[1])));
            }
        }
        return names;
    }

    private static Set<String> metricNames(List<String> texts) {
        Set<String> names = new TreeSet<>();
        for (String text : texts) {
            Matcher matcher = METRIC.matcher(text);
            while (matcher.find()) {
                names.add(matcher.group(1));
            }
        }
        return names;
    }

    private static String baseName(String series) {
        for (String suffix : SERIES_SUFFIXES) {
            if (series.endsWith(suffix)) {
                return series.substring(0, series.length() - suffix.length());
            }
        }
        return series;
    }

    /** The series names in a Prometheus text scrape. */
    private static Set<String> seriesNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    private void refusedHandshake() throws InterruptedException, java.util.concurrent.TimeoutException {
        AphelionClient tooNew = client(AphelionClient.builder(uri()).protocol(WireFormat.PROTOCOL_PING).version(99));
        try {
            tooNew.connect(new RecordingListener()).get(15, TimeUnit.SECONDS);
            throw new AssertionError("version 99 was accepted");
        }
        catch (ExecutionException expected) {
            // Refused with 4002, as wanted.
        }
    }

    private String scrape() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
