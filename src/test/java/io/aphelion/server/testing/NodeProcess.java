package io.aphelion.server.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs Node.js and npm commands for the tests that need them (the interop tests, the bench's
 * uWebSockets.js peer): output (stdout and stderr together) goes to a file rather than a pipe, so
 * a chatty command cannot block on a full pipe; a command that outlives its bound is killed with
 * its children.
 */
public final class NodeProcess {

    private NodeProcess() {
    }

    /**
     * Runs {@code command} in {@code directory} and returns what it printed.
     *
     * @throws AssertionError when it exits non-zero or outlives {@code timeout}, with its output
     */
    public static String run(File directory, Duration timeout, Map<String, String> env, List<String> command)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile("aphelion-node-", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("NO_COLOR", "1");
            builder.environment().putAll(env);
            Process process = builder.start();
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (!exited) {
                throw new AssertionError(command + " in " + directory + " did not finish within " + timeout + ":\n" + output);
            }
            assertThat(process.exitValue()).as("exit code of %s in %s; it printed:%n%s", command, directory, output).isZero();
            return output;
        }
        finally {
            Files.deleteIfExists(log);
        }
    }

    public static String run(File directory, Duration timeout, List<String> command) throws IOException, InterruptedException {
        return run(directory, timeout, Map.of(), command);
    }
}
