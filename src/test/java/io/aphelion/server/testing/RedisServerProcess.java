package io.aphelion.server.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * A real Redis for the cluster tests: Debian's {@code redis-server} on 127.0.0.1 and a free port,
 * in the foreground, without persistence. {@code .ci/run} installs it; a machine without it fails
 * these tests (they are never skipped). Can be stopped and started again on the same port (the
 * tests of Redis going away).
 */
public final class RedisServerProcess implements AutoCloseable {

    private final int port;
    private final Path log;
    private Process process;

    private RedisServerProcess(int port, Path log) {
        this.port = port;
        this.log = log;
    }

    /** Starts a Redis on a free port and waits until it accepts connections. */
    public static RedisServerProcess start() throws IOException {
        RedisServerProcess redis = new RedisServerProcess(ServerProcesses.freePort(), Files.createTempFile("aphelion-redis", ".log"));
        redis.startAgain();
        return redis;
    }

    public int port() {
        return port;
    }

    /** (Re)starts the server on its port. */
    public void startAgain() throws IOException {
        String binary = Files.isExecutable(Path.of("/usr/bin/redis-server")) ? "/usr/bin/redis-server" : "redis-server";
        process = new ProcessBuilder(List.of(binary, "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(this::accepting);
    }

    /** Kills the server (SIGKILL) and waits until it is gone. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly().waitFor();
            process = null;
        }
    }

    private boolean accepting() throws IOException {
        if (process != null && !process.isAlive()) {
            throw new IllegalStateException("redis-server exited: " + Files.readString(log));
        }
        return ServerProcesses.accepts(port);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
