package io.aphelion.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the server's Actuator metrics ({@link #metric}): its heap
 * ({@code /actuator/metrics/jvm.memory.used?tag=area:heap}) after asking its JVM for a full GC with
 * {@code jcmd <pid> GC.run} (the server must run on this machine, under the same user; without a
 * pid the heap is read as it is, garbage included), connections, sessions.
 */
final class ServerProbe implements MemoryProbe {

    private static final Pattern VALUE = Pattern.compile("\"value\"\\s*:\\s*([0-9.eE+-]+)");

    private final String metricsBase;
    private final URI heapUri;
    private final long pid;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param metricsBase e.g. {@code http://127.0.0.1:8080}; Actuator's metrics endpoint must be exposed
     * @param pid the server's process id for {@code jcmd}, or 0 to skip the GC
     */
    ServerProbe(String metricsBase, long pid) {
        this.metricsBase = metricsBase.replaceAll("/+$", "");
        this.heapUri = URI.create(this.metricsBase + "/actuator/metrics/jvm.memory.used?tag=area:heap");
        this.pid = pid;
    }

    /** Heap used in bytes, after a full GC when the pid is known (two GCs, a second apart, for a stable floor). */
    long heapAfterGc() throws IOException, InterruptedException {
        if (pid > 0) {
            gc();
            Thread.sleep(500);
            gc();
            Thread.sleep(500);
        }
        return heapUsed();
    }

    @Override
    public long bytesAfterGc() throws IOException, InterruptedException {
        return heapAfterGc();
    }

    long heapUsed() throws IOException, InterruptedException {
        return (long) value(heapUri);
    }

    /**
     * The value of one Actuator metric, e.g. {@code metric("aphelion.connections")} or
     * {@code metric("aphelion.sessions", "protocol:game")}.
     */
    double metric(String name, String... tags) throws IOException, InterruptedException {
        StringBuilder uri = new StringBuilder(metricsBase).append("/actuator/metrics/").append(name);
        for (int i = 0; i < tags.length; i++) {
            uri.append(i == 0 ? '?' : '&').append("tag=").append(tags[i]);
        }
        return value(URI.create(uri.toString()));
    }

    private double value(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + uri + " answered " + response.statusCode()
                    + " (expose it: --management.endpoints.web.exposure.include=health,metrics)");
        }
        Matcher matcher = VALUE.matcher(response.body());
        if (!matcher.find()) {
            throw new IOException("No value in " + response.body());
        }
        return Double.parseDouble(matcher.group(1));
    }

    private void gc() throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder("jcmd", Long.toString(pid), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
            throw new IOException("jcmd " + pid + " GC.run failed");
        }
    }
}
