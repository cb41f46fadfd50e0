package io.aphelion.server.transport;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import io.aphelion.server.testing.ServerTestSupport;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Requests that clients abandon half way, over raw sockets: a burst of them closing together starts
 * no thread each (Jetty would start one per request to answer a 400 nobody reads), and a bad
 * request that the client still waits on is answered 400 as before.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AbandonedRequestsTest extends ServerTestSupport {

    private static final int BURST = 500;

    @Test
    void aBurstOfAbandonedUpgradeRequestsStartsNoThreadEach() throws Exception {
        // Jetty's own factory answers each one with a 400 run "immediately": when no reserved
        // thread is free, on a thread started for it (jetty-immediate-executor), hundreds at once.
        Set<Long> immediate = ConcurrentHashMap.newKeySet();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                for (Thread thread : Thread.getAllStackTraces().keySet()) {
                    if (thread.getName().startsWith("jetty-immediate")) {
                        immediate.add(thread.getId());
                    }
                }
            }
        }, "immediate-thread-sampler");
        sampler.setDaemon(true);
        try {
            abandonAtOnce(sampler);
        }
        finally {
            sampling.set(false);
            sampler.join(5000);
        }

        assertThat(immediate).as("threads started to answer %d abandoned requests", BURST).hasSizeLessThanOrEqualTo(2);
    }

    /** Opens {@link #BURST} sockets that each send half an upgrade request, then closes them all at once. */
    private void abandonAtOnce(Thread startBeforeClosing) throws Exception {
        byte[] half = "GET /aphelion HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n".getBytes(StandardCharsets.US_ASCII);
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < BURST; i++) {
                Socket socket = new Socket("127.0.0.1", port);
                socket.getOutputStream().write(half);
                sockets.add(socket);
            }
            // Let the server read every half request before they are abandoned.
            await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> true);
        }
        finally {
            startBeforeClosing.start();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> true);
    }

    @Test
    void aBadRequestWhoseClientWaitsIsStillAnswered400() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(status).isEqualTo("HTTP/1.1 400");
        }
    }
}
