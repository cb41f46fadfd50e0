package io.aphelion.server.interop;

import java.io.File;
import java.time.Duration;
import java.util.List;

import io.aphelion.server.testing.NodeProcess;
import io.aphelion.server.testing.ServerTestSupport;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client not written in Java and not sharing a line with the server: the Node.js example in
 * {@code examples/node}, on the TypeScript package {@code clients/js} with the {@code ws}
 * package as its WebSocket, does the handshake, pings with its own client times, acks, and
 * resumes its session with the token. Needs Node.js and npm (to install and build the package
 * once): fails without.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class NodeClientInteropTest extends ServerTestSupport {

    private static final File PACKAGE = new File("clients/js");

    private static final File EXAMPLE = new File("examples/node");

    private static final Duration INSTALL = Duration.ofMinutes(5);

    private static final Duration RUN = Duration.ofMinutes(2);

    @Test
    void nodeClientOnThePackageCompletesHandshakePingsAcksAndResumes() throws Exception {
        if (!new File(PACKAGE, "node_modules/@bufbuild/protobuf").isDirectory()) {
            NodeProcess.run(PACKAGE, INSTALL, List.of("npm", "ci", "--no-audit", "--no-fund"));
        }
        NodeProcess.run(PACKAGE, INSTALL, List.of("npm", "run", "build"));
        if (!new File(EXAMPLE, "node_modules/ws").isDirectory() || !new File(EXAMPLE, "node_modules/aphelion-client").exists()) {
            NodeProcess.run(EXAMPLE, INSTALL, List.of("npm", "ci", "--no-audit", "--no-fund"));
        }
        String output = NodeProcess.run(EXAMPLE, RUN, List.of("node", "ping-client.js", "ws://127.0.0.1:" + port + "/aphelion"));
        assertThat(output).contains("\"pongs\":3", "\"echoed\":true", "\"serverTimes\":true", "\"acked\":4",
                "\"rttMeasured\":true", "\"firstIsNewSession\":true", "\"resumedSameToken\":true", "\"secondPongs\":3");
    }
}
