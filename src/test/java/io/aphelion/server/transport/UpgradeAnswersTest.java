package io.aphelion.server.transport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The native engine's HTTP answers to upgrade requests (RFC 6455 4.2), over a raw socket: every
 * refusal names its reason in the status, a valid request gets the RFC's accept key, and bytes a
 * client sends right behind its request are not lost.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class UpgradeAnswersTest extends ServerTestSupport {

    /** RFC 6455 1.3's example key and its accept value. */
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    private static final String ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    @Test
    void validUpgradeGets101WithTheAcceptKeyAndNoExtension() throws IOException {
        String answer = request("GET /aphelion HTTP/1.1", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: " + KEY, "Sec-WebSocket-Version: 13",
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits");

        assertThat(answer).startsWith("HTTP/1.1 101 ");
        assertThat(answer).containsIgnoringCase("Sec-WebSocket-Accept: " + ACCEPT);
        assertThat(answer).containsIgnoringCase("Upgrade: websocket");
        assertThat(answer.toLowerCase()).doesNotContain("sec-websocket-extensions");
    }

    @Test
    void plainGetOnThePathIs400() throws IOException {
        assertThat(request("GET /aphelion HTTP/1.1")).startsWith("HTTP/1.1 400 ");
    }

    @Test
    void postOnThePathIs400() throws IOException {
        assertThat(request("POST /aphelion HTTP/1.1", "Content-Length: 0")).startsWith("HTTP/1.1 400 ");
    }

    @Test
    void otherWebSocketVersionIs426NamingVersion13() throws IOException {
        String answer = request("GET /aphelion HTTP/1.1", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: " + KEY, "Sec-WebSocket-Version: 8");

        assertThat(answer).startsWith("HTTP/1.1 426 ");
        assertThat(answer).containsIgnoringCase("Sec-WebSocket-Version: 13");
    }

    @Test
    void missingOrMalformedKeyIs400() throws IOException {
        assertThat(request("GET /aphelion HTTP/1.1", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Version: 13")).startsWith("HTTP/1.1 400 ");
        assertThat(request("GET /aphelion HTTP/1.1", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: abc", "Sec-WebSocket-Version: 13")).startsWith("HTTP/1.1 400 ");
    }

    @Test
    void upgradeOnAnotherPathIsNotUpgraded() throws IOException {
        String answer = request("GET /elsewhere HTTP/1.1", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: " + KEY, "Sec-WebSocket-Version: 13");

        assertThat(answer).startsWith("HTTP/1.1 404 ");
    }

    @Test
    void initPacketSentInTheSameWriteAsTheUpgradeIsAnswered() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(("GET /aphelion HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(maskedBinaryFrame(InitPacket.newSession(WireFormat.PROTOCOL_PING, 1).encode()));
            OutputStream os = socket.getOutputStream();
            os.write(out.toByteArray());
            os.flush();

            InputStream in = socket.getInputStream();
            assertThat(readHead(in)).startsWith("HTTP/1.1 101 ");
            int b0 = in.read();
            int length = in.read();
            assertThat(b0).as("a final binary frame").isEqualTo(0x82);
            assertThat(length).as("the init reply: the session token").isEqualTo(WireFormat.S2C_INIT_LENGTH);
        }
    }

    /** Sends one request (headers plus Host) and returns the response head. */
    private String request(String requestLine, String... headers) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            StringBuilder request = new StringBuilder(requestLine).append("\r\nHost: 127.0.0.1\r\n");
            for (String header : headers) {
                request.append(header).append("\r\n");
            }
            if (!String.join("\n", headers).contains("Connection:")) {
                request.append("Connection: close\r\n");
            }
            request.append("\r\n");
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return readHead(socket.getInputStream());
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }

    private static byte[] maskedBinaryFrame(byte[] bytes) {
        byte[] mask = { 0x12, 0x34, 0x56, 0x78 };
        byte[] frame = new byte[2 + 4 + bytes.length];
        frame[0] = (byte) 0x82;
        frame[1] = (byte) (0x80 | bytes.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < bytes.length; i++) {
            frame[6 + i] = (byte) (bytes[i] ^ mask[i % 4]);
        }
        return frame;
    }
}
