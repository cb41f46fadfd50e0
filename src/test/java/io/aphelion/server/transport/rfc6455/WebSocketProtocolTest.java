package io.aphelion.server.transport.rfc6455;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class WebSocketProtocolTest {

    /** RFC 6455 1.3's example key. */
    private static final String RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    // ---- constants

    @Test
    void constantsAreRfc6455s() {
        assertThat(WebSocketProtocol.OPCODE_CONTINUATION).isEqualTo(0x0);
        assertThat(WebSocketProtocol.OPCODE_TEXT).isEqualTo(0x1);
        assertThat(WebSocketProtocol.OPCODE_BINARY).isEqualTo(0x2);
        assertThat(WebSocketProtocol.OPCODE_CLOSE).isEqualTo(0x8);
        assertThat(WebSocketProtocol.OPCODE_PING).isEqualTo(0x9);
        assertThat(WebSocketProtocol.OPCODE_PONG).isEqualTo(0xA);
        assertThat(WebSocketProtocol.MAX_CONTROL_PAYLOAD).isEqualTo(125);
        assertThat(WebSocketProtocol.MAX_CLOSE_REASON_BYTES).isEqualTo(123);
        assertThat(WebSocketProtocol.MAX_SERVER_HEADER).isEqualTo(10);
        assertThat(WebSocketProtocol.VERSION).isEqualTo("13");
    }

    // ---- handshake key

    @Test
    void acceptKeyIsRfcExample() {
        // RFC 6455 1.3.
        assertThat(WebSocketProtocol.acceptKey(RFC_KEY)).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    @Test
    void acceptKeyIgnoresSurroundingWhitespace() {
        assertThat(WebSocketProtocol.acceptKey(" " + RFC_KEY + "\t")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    @Test
    void acceptKeyOfAnotherKeyDiffers() {
        String other = Base64.getEncoder().encodeToString(new byte[16]);

        assertThat(WebSocketProtocol.acceptKey(other))
                .isNotEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
                .hasSize(28);
    }

    @Test
    void acceptKeyIsTheSameOnEveryCallFromEveryThread() throws Exception {
        String other = Base64.getEncoder().encodeToString(new byte[16]);
        String otherAccept = WebSocketProtocol.acceptKey(other);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(threads.submit(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        if (!WebSocketProtocol.acceptKey(RFC_KEY).equals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
                                || !WebSocketProtocol.acceptKey(other).equals(otherAccept)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        }
        finally {
            threads.shutdownNow();
        }
    }

    @Test
    void rfcKeyIsValid() {
        assertThat(WebSocketProtocol.isValidKey(RFC_KEY)).isTrue();
    }

    @Test
    void base64OfAnySixteenBytesIsAValidKey() {
        byte[] bytes = new byte[16];
        Arrays.fill(bytes, (byte) 0xff);

        assertThat(WebSocketProtocol.isValidKey(Base64.getEncoder().encodeToString(bytes))).isTrue();
        assertThat(WebSocketProtocol.isValidKey(Base64.getEncoder().encodeToString(new byte[16]))).isTrue();
        assertThat(WebSocketProtocol.isValidKey(" " + RFC_KEY + " ")).isTrue();
    }

    @Test
    void nullKeyIsInvalid() {
        assertThat(WebSocketProtocol.isValidKey(null)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "   ",
            "abc",
            "dGhlIHNhbXBsZSBub25jZQ=!",
            "dGhlIHNhbXBsZSBub25jZQ==dGhl",
            "not base64 at all, no!!",
            "dGhlIHNhbXBsZSBub25j",
    })
    void malformedKeyIsInvalid(String key) {
        assertThat(WebSocketProtocol.isValidKey(key)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 1, 15, 17, 20, 32 })
    void base64OfAnythingButSixteenBytesIsInvalid(int bytes) {
        String key = Base64.getEncoder().encodeToString(new byte[bytes]);

        assertThat(WebSocketProtocol.isValidKey(key)).isFalse();
    }

    // ---- server frame header

    @ParameterizedTest
    @CsvSource({
            "0,                  2",
            "1,                  2",
            "125,                2",
            "126,                4",
            "65535,              4",
            "65536,              10",
            "4294967296,         10",
            "9223372036854775807, 10",
    })
    void serverHeaderLengthFollowsTheLengthEncoding(long payloadLength, int headerLength) {
        assertThat(WebSocketProtocol.serverHeaderLength(payloadLength)).isEqualTo(headerLength);
    }

    @ParameterizedTest
    @CsvSource({
            "2,  0,          82 00",
            "2,  125,        82 7d",
            "2,  126,        82 7e 00 7e",
            "2,  65535,      82 7e ff ff",
            "2,  65536,      82 7f 00 00 00 00 00 01 00 00",
            "2,  4294967296, 82 7f 00 00 00 01 00 00 00 00",
            "8,  2,          88 02",
            "9,  0,          89 00",
            "10, 5,          8a 05",
            "1,  5,          81 05",
    })
    void serverHeaderIsFinalUnmaskedAndExact(int opcode, long payloadLength, String expected) {
        ByteBuffer buffer = ByteBuffer.allocate(16);
        buffer.put((byte) 0xEE);

        WebSocketProtocol.putServerHeader(buffer, opcode, payloadLength);

        assertThat(buffer.position()).isEqualTo(1 + WebSocketProtocol.serverHeaderLength(payloadLength));
        byte[] written = Arrays.copyOfRange(buffer.array(), 1, buffer.position());
        assertThat(HexFormat.of().formatHex(written)).isEqualTo(expected.replace(" ", ""));
        assertThat(buffer.array()[0]).isEqualTo((byte) 0xEE);
    }

    @Test
    void serverHeaderMatchesRfcUnmaskedHelloExample() {
        // RFC 6455 5.7: "A single-frame unmasked text message" is 81 05 "Hello".
        ByteBuffer buffer = ByteBuffer.allocate(7);

        WebSocketProtocol.putServerHeader(buffer, WebSocketProtocol.OPCODE_TEXT, 5);
        buffer.put("Hello".getBytes(StandardCharsets.US_ASCII));

        assertThat(HexFormat.of().formatHex(buffer.array())).isEqualTo("810548656c6c6f");
    }

    @Test
    void serverHeaderMatchesRfcLengthExamples() {
        // RFC 6455 5.7: 256 bytes binary "0x82 0x7E 0x0100", 64KiB binary "0x82 0x7F 0x0000000000010000".
        ByteBuffer buffer = ByteBuffer.allocate(14);

        WebSocketProtocol.putServerHeader(buffer, WebSocketProtocol.OPCODE_BINARY, 256);
        WebSocketProtocol.putServerHeader(buffer, WebSocketProtocol.OPCODE_BINARY, 65536);

        assertThat(HexFormat.of().formatHex(buffer.array())).isEqualTo("827e0100" + "827f0000000000010000");
    }

    // ---- close payload

    @Test
    void closePayloadIsCodeThenUtf8Reason() {
        assertThat(hex(WebSocketProtocol.closePayload(1000, "bye"))).isEqualTo("03e8627965");
    }

    @Test
    void closePayloadWithoutReasonIsTheCodeAlone() {
        assertThat(hex(WebSocketProtocol.closePayload(4009, ""))).isEqualTo("0fa9");
        assertThat(hex(WebSocketProtocol.closePayload(1001, null))).isEqualTo("03e9");
    }

    @Test
    void closePayloadEncodesMultiByteReason() {
        assertThat(hex(WebSocketProtocol.closePayload(1011, "é€"))).isEqualTo("03f3" + "c3a9" + "e282ac");
    }

    @Test
    void closePayloadNeverExceedsTheControlPayloadMaximum() {
        byte[] payload = WebSocketProtocol.closePayload(1000, "x".repeat(500));

        assertThat(payload).hasSize(125);
        assertThat(hex(Arrays.copyOf(payload, 2))).isEqualTo("03e8");
        assertThat(new String(payload, 2, 123, StandardCharsets.UTF_8)).isEqualTo("x".repeat(123));
    }

    @Test
    void closePayloadCutsAMultiByteReasonOnACharacterBoundary() {
        byte[] payload = WebSocketProtocol.closePayload(1000, "€".repeat(50));

        // 41 euro signs are 123 bytes.
        assertThat(payload).hasSize(2 + 123);
        assertThat(new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)).isEqualTo("€".repeat(41));
    }

    // ---- truncateReason

    @Test
    void shortReasonIsKept() {
        assertThat(WebSocketProtocol.truncateReason("bye")).isEqualTo("bye");
        assertThat(WebSocketProtocol.truncateReason("")).isEqualTo("");
        assertThat(WebSocketProtocol.truncateReason(null)).isEqualTo("");
    }

    @Test
    void asciiReasonIsCutAt123Bytes() {
        assertThat(WebSocketProtocol.truncateReason("a".repeat(123))).isEqualTo("a".repeat(123));
        assertThat(WebSocketProtocol.truncateReason("a".repeat(124))).isEqualTo("a".repeat(123));
        assertThat(WebSocketProtocol.truncateReason("a".repeat(1000))).isEqualTo("a".repeat(123));
    }

    @ParameterizedTest
    @CsvSource({
            // ASCII characters before it, the character, whether it is kept
            "121, é, true",    // 121 + 2 = 123
            "122, é, false",   // 122 + 2 = 124: the whole 'é' goes
            "120, €, true",    // 120 + 3 = 123
            "121, €, false",   // 121 + 3 = 124
            "122, €, false",   // 122 + 3 = 125
            "119, 😀, true",   // 119 + 4 = 123
            "120, 😀, false",  // 120 + 4 = 124: both surrogates go
            "121, 😀, false",
            "122, 😀, false",
    })
    void reasonIsNeverCutInsideACharacter(int asciiBefore, String character, boolean kept) {
        String reason = "a".repeat(asciiBefore) + character + "zz";

        String truncated = WebSocketProtocol.truncateReason(reason);

        String expected = "a".repeat(asciiBefore) + (kept ? character : "");
        assertThat(truncated).isEqualTo(expected);
        assertThat(truncated.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(123);
        assertThat(new String(truncated.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(truncated);
    }

    @ParameterizedTest
    @ValueSource(strings = { "é", "€", "😀" })
    void reasonOfOnlyMultiByteCharactersIsCutOnABoundary(String character) {
        String reason = character.repeat(200);
        int bytesEach = character.getBytes(StandardCharsets.UTF_8).length;

        String truncated = WebSocketProtocol.truncateReason(reason);

        assertThat(truncated).isEqualTo(character.repeat(123 / bytesEach));
    }

    @Test
    void reasonOfExactly123BytesOfMixedCharactersIsKept() {
        // 2 + 3 + 4 = 9 bytes, 13 times = 117, and 6 ASCII = 123.
        String reason = "é€😀".repeat(13) + "abcdef";
        assertThat(reason.getBytes(StandardCharsets.UTF_8)).hasSize(123);

        assertThat(WebSocketProtocol.truncateReason(reason)).isEqualTo(reason);
        assertThat(WebSocketProtocol.truncateReason(reason + "g")).isEqualTo(reason);
        assertThat(WebSocketProtocol.truncateReason(reason + "é")).isEqualTo(reason);
    }

    // ---- close codes

    @ParameterizedTest
    @CsvSource({
            "0,     false",
            "999,   false",
            "1000,  true",
            "1001,  true",
            "1002,  true",
            "1003,  true",
            "1004,  false",
            "1005,  false",
            "1006,  false",
            "1007,  true",
            "1008,  true",
            "1009,  true",
            "1010,  true",
            "1011,  true",
            "1012,  true",
            "1013,  true",
            "1014,  true",
            "1015,  false",
            "1016,  false",
            "2000,  false",
            "2999,  false",
            "3000,  true",
            "3999,  true",
            "4000,  true",
            "4009,  true",
            "4999,  true",
            "5000,  false",
            "65535, false",
            "-1,    false",
    })
    void closeCodeValidity(int code, boolean valid) {
        assertThat(WebSocketProtocol.isValidCloseCode(code)).isEqualTo(valid);
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
