package io.aphelion.server.interop;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aphelion.server.testing.ServerTestSupport;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client not written in Java and not sharing a line with the server: the Node.js `ws` example
 * in {@code examples/node} does the handshake, pings with hand-encoded protobuf, acks, and
 * resumes its session with the token. Needs Node.js (and npm, once, for `ws`): fails without.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class NodeClientInteropTest extends ServerTestSupport {

    private static final File EXAMPLE = new File("examples/node");

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(EXAMPLE).redirectErrorStream(true).start();
        boolean exited = process.waitFor(120, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!exited) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish: " + output);
        }
        assertThat(process.exitValue()).as("%s printed: %s", command, output).isZero();
        return output;
    }

    @Test
    void nodeWsClientCompletesHandshakePingsAcksAndResumes() throws Exception {
        if (!new File(EXAMPLE, "node_modules/ws").isDirectory()) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund"));
        }
        String output = run(List.of("node", "ping-client.js", "ws://127.0.0.1:" + port + "/aphelion"));
        assertThat(output).contains("\"pongs\":3", "\"echoed\":true", "\"serverTimes\":true", "\"acked\":3",
                "\"resumedSameToken\":true");
    }
}
