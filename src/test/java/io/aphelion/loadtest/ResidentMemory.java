package io.aphelion.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A local process's resident set ({@code VmRSS} in {@code /proc/<pid>/status}): the memory per
 * session of a server that is not a JVM (the uWebSockets.js peer), where a heap reading would miss
 * what native code holds. Before reading, {@code GET <base>/gc} asks the server to collect its
 * garbage, when a base URL is given. Resident memory also counts pages the process touched once and
 * has not given back, so it is an upper bound of what the sessions hold, never comparable to a heap.
 */
final class ResidentMemory implements MemoryProbe {

    private static final String VM_RSS = "VmRSS:";

    private final long pid;
    private final URI gc;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param pid the process, on this machine
     * @param base e.g. {@code http://127.0.0.1:8092}, whose {@code /gc} collects the garbage; null: none
     */
    ResidentMemory(long pid, String base) {
        if (pid <= 0) {
            throw new IllegalArgumentException("Resident memory needs the server's pid");
        }
        this.pid = pid;
        this.gc = base == null ? null : URI.create(base.replaceAll("/+$", "") + "/gc");
    }

    @Override
    public long bytesAfterGc() throws IOException, InterruptedException {
        if (gc != null) {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(gc).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() != 200) {
                throw new IOException("GET " + gc + " answered " + response.statusCode());
            }
            Thread.sleep(500);
        }
        return bytes(pid);
    }

    /** The resident set of {@code pid} in bytes. */
    static long bytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(VM_RSS)) {
                String kib = line.substring(VM_RSS.length()).trim();
                return Long.parseLong(kib.substring(0, kib.indexOf(' '))) * 1024;
            }
        }
        throw new IOException("No " + VM_RSS + " in /proc/" + pid + "/status");
    }
}
