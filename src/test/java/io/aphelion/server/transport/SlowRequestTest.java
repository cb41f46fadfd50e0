package io.aphelion.server.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.aphelion.server.testing.ServerTestSupport;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The way from TCP accept to a complete init packet is bounded by {@code init-timeout}, over
 * raw sockets (PRODUCT.md "Before the init packet"): an upgrade request that trickles in byte by
 * byte (slowloris) is cut when it runs out, and ordinary HTTP keep-alive is not.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "aphelion.websocket.init-timeout=1s")
class SlowRequestTest extends ServerTestSupport {

    @Test
    void upgradeRequestTricklingInByteByByteIsClosedWhenTheInitTimeoutRunsOut() throws IOException {
        byte[] request = ("GET /aphelion HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nX-Padding: " + "x".repeat(200)).getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            Duration openFor = trickle(socket, request);
            assertThat(openFor).as("closed before the request ended (%d bytes, ~%d s)", request.length,
                    request.length / 10).isNotNull();
            assertThat(openFor).isGreaterThanOrEqualTo(Duration.ofMillis(900)).isLessThan(Duration.ofSeconds(8));
        }
    }

    @Test
    void aSecondRequestTricklingInOnAKeptAliveConnectionIsClosedToo() throws IOException {
        byte[] request = ("GET /aphelion HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "X-Padding: " + "x".repeat(300)).getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            assertThat(get(socket)).startsWith("HTTP/1.1 200 ");
            assertThat(trickle(socket, request)).as("closed before the trickled request ended (~%d s)", request.length / 10)
                    .isNotNull();
        }
    }

    @Test
    void keepAliveHttpConnectionOutlivesTheInitTimeout() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            assertThat(get(socket)).startsWith("HTTP/1.1 200 ");
            // Longer than init-timeout: a connection whose first request completed is not cut.
            await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> true);
            assertThat(get(socket)).startsWith("HTTP/1.1 200 ");
        }
    }

    /**
     * Sends {@code request} one byte every ~100 ms (each read waits up to 100 ms, so Jetty's idle
     * timer never fires) until the server closes the socket.
     *
     * @return how long the socket stayed open, or null when the whole request went out first
     */
    private static Duration trickle(Socket socket, byte[] request) throws IOException {
        socket.setSoTimeout(100);
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        long start = System.nanoTime();
        for (byte b : request) {
            try {
                out.write(b);
                out.flush();
                if (in.read() == -1) {
                    return Duration.ofNanos(System.nanoTime() - start);
                }
            }
            catch (SocketTimeoutException stillOpen) {
                // no answer yet: the socket is open
            }
            catch (IOException closed) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
        }
        return null;
    }

    /** One GET of the health endpoint on a kept-alive socket; returns the status line and headers. */
    private static String get(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("GET /actuator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        int contentLength = 0;
        boolean chunked = false;
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after: " + head);
            }
            head.append((char) b);
        }
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                contentLength = Integer.parseInt(line.substring(15).trim());
            }
            chunked |= line.equalsIgnoreCase("transfer-encoding: chunked");
        }
        if (chunked) {
            StringBuilder body = new StringBuilder();
            while (!body.toString().endsWith("\r\n0\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed in the body: " + body);
                }
                body.append((char) b);
            }
        }
        else {
            in.readNBytes(contentLength);
        }
        return head.toString();
    }
}
