package io.aphelion.server.transport.rfc6455;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.aphelion.wire.CloseCodes;

import static io.aphelion.server.testing.Bytes.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * {@link FrameReader} fed exact client bytes (RFC 6455 5): whole buffers, every split a socket can
 * make, and every violation with its close code.
 */
class FrameReaderTest {

    // First header byte: FIN (0x80) | opcode.
    private static final int CONTINUATION = 0x00;
    private static final int CONTINUATION_LAST = 0x80;
    private static final int TEXT_FIRST = 0x01;
    private static final int TEXT = 0x81;
    private static final int BINARY_FIRST = 0x02;
    private static final int BINARY = 0x82;
    private static final int CLOSE = 0x88;
    private static final int PING = 0x89;
    private static final int PONG = 0x8A;

    /** The masking key of RFC 6455 5.7's examples. */
    private static final int KEY = 0x37fa213d;
    private static final int MAX = 1 << 20;

    private final Recorder handler = new Recorder();
    private final FrameReader reader = new FrameReader(handler, MAX);

    // ---- fixtures checked against the RFC

    @Test
    void frameHelperBuildsRfcMaskedHelloExample() {
        // RFC 6455 5.7: "A single-frame masked text message".
        assertThat(frame(TEXT, ascii("Hello"), KEY)).isEqualTo(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
        assertThat(mask(hex("7f 9f 4d 51 58"), KEY, 0)).isEqualTo(ascii("Hello"));
    }

    @ParameterizedTest
    @CsvSource({
            "0,     82 80 01 02 03 04",
            "1,     82 81 01 02 03 04",
            "125,   82 fd 01 02 03 04",
            "126,   82 fe 00 7e 01 02 03 04",
            "256,   82 fe 01 00 01 02 03 04",
            "65535, 82 fe ff ff 01 02 03 04",
            "65536, 82 ff 00 00 00 00 00 01 00 00 01 02 03 04",
    })
    void frameHelperUsesTheShortestLengthEncoding(int length, String header) {
        byte[] frame = frame(BINARY, pattern(length), 0x01020304);
        assertThat(hex(Arrays.copyOf(frame, frame.length - length))).isEqualTo(hex(hex(header)));
    }

    // ---- binary frames whole in one buffer

    @Test
    void maskedBinaryFrameIsUnmasked() {
        // RFC 5.7's masked "Hello", with the binary opcode.
        ByteBuffer buffer = ByteBuffer.wrap(hex("82 85 37 fa 21 3d 7f 9f 4d 51 58"));

        reader.read(buffer);

        assertThat(handler.events).containsExactly("binary:48656c6c6f");
        assertThat(buffer.position()).isEqualTo(11);
        assertThat(reader.isStopped()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
            "0,     82 80 01 02 03 04",
            "1,     82 81 01 02 03 04",
            "125,   82 fd 01 02 03 04",
            "126,   82 fe 00 7e 01 02 03 04",
            "65535, 82 fe ff ff 01 02 03 04",
            "65536, 82 ff 00 00 00 00 00 01 00 00 01 02 03 04",
    })
    void binaryFrameOfEachLengthEncodingIsDeliveredWhole(int length, String header) {
        byte[] payload = pattern(length);
        int frameLength = hex(header).length + length;
        // The frame, then the first 3 bytes of the next one: the position must stop between them.
        byte[] bytes = concat(hex(header), mask(payload, 0x01020304, 0), Arrays.copyOf(frame(BINARY, ascii("next")), 3));
        ByteBuffer buffer = ByteBuffer.wrap(bytes);

        reader.read(buffer);

        assertThat(handler.events).containsExactly("binary:" + hex(payload));
        assertThat(buffer.position()).isEqualTo(frameLength);
        assertThat(reader.isStopped()).isFalse();
    }

    @Test
    void severalFramesInOneBufferAreDeliveredInOrder() {
        ByteBuffer buffer = ByteBuffer.wrap(concat(
                frame(BINARY, hex("01")),
                frame(PING, ascii("p")),
                frame(BINARY, hex("0203"), 0x11223344),
                frame(PONG, ascii("q")),
                frame(BINARY, pattern(200), 0xdeadbeef),
                frame(BINARY, new byte[0])));

        reader.read(buffer);

        assertThat(handler.events).containsExactly(
                "binary:01", "ping:70", "binary:0203", "pong:71", "binary:" + hex(pattern(200)), "binary:");
        assertThat(buffer.hasRemaining()).isFalse();
    }

    @Test
    void readsFromThePositionToTheLimitOnly() {
        byte[] frame = frame(BINARY, ascii("mid"));
        ByteBuffer buffer = ByteBuffer.allocate(64);
        buffer.put(hex("ff ff ff")).put(frame).put(hex("81 05 48 65 6c 6c 6f"));
        buffer.position(3).limit(3 + frame.length);

        reader.read(buffer);

        assertThat(handler.events).containsExactly("binary:6d6964");
        assertThat(buffer.position()).isEqualTo(3 + frame.length);
        assertThat(reader.isStopped()).isFalse();
    }

    @Test
    void emptyBufferDoesNothing() {
        ByteBuffer buffer = ByteBuffer.allocate(0);

        reader.read(buffer);

        assertThat(handler.events).isEmpty();
        assertThat(buffer.position()).isZero();
    }

    @Test
    void zeroMaskingKeyLeavesThePayloadAsItIs() {
        reader.read(ByteBuffer.wrap(hex("82 83 00 00 00 00 0a 0b 0c")));

        assertThat(handler.events).containsExactly("binary:0a0b0c");
    }

    @Test
    void wholeSingleFrameIsHandedOverAsAViewOfTheCallersBuffer() {
        byte[] bytes = frame(BINARY, ascii("view"));
        List<ByteBuffer> delivered = new ArrayList<>();
        FrameReader viewReader = new FrameReader(new Recorder() {
            @Override
            public void onBinary(ByteBuffer message) {
                super.onBinary(message);
                delivered.add(message);
            }
        }, MAX);

        viewReader.read(ByteBuffer.wrap(bytes));

        assertThat(delivered).hasSize(1);
        assertThat(delivered.get(0).array()).isSameAs(bytes);
        assertThat(hex(delivered.get(0))).isEqualTo(hex(ascii("view")));
    }

    // ---- fragmented binary messages

    @Test
    void fragmentedBinaryMessageIsDeliveredOnceAsTheConcatenation() {
        reader.read(ByteBuffer.wrap(concat(
                frame(BINARY_FIRST, hex("0102"), 0x01020304),
                frame(CONTINUATION, hex("030405"), 0x05060708),
                frame(CONTINUATION_LAST, hex("06"), 0x090a0b0c))));

        assertThat(handler.events).containsExactly("binary:010203040506");
    }

    @Test
    void everyPieceOfAFragmentedMessageIsCountedForTheRateLimitAndAWholeFrameIsNot() {
        reader.read(ByteBuffer.wrap(concat(
                frame(BINARY, hex("ff")),
                frame(BINARY_FIRST, hex("0102")),
                frame(CONTINUATION, new byte[0]),
                frame(CONTINUATION, new byte[0]),
                frame(CONTINUATION_LAST, hex("03")))));

        assertThat(handler.events).containsExactly("binary:ff", "binary:010203");
        assertThat(handler.fragments).as("the first fragment and three continuations, zero-length ones too").isEqualTo(4);
    }

    @Test
    void controlFramesBetweenFragmentsAreDeliveredInBetween() {
        reader.read(ByteBuffer.wrap(concat(
                frame(BINARY_FIRST, hex("0102")),
                frame(PING, ascii("a")),
                frame(CONTINUATION, hex("0304")),
                frame(PONG, ascii("b")),
                frame(PING, ascii("c")),
                frame(CONTINUATION_LAST, hex("05")),
                frame(BINARY, hex("ff")))));

        assertThat(handler.events).containsExactly("ping:61", "pong:62", "ping:63", "binary:0102030405", "binary:ff");
    }

    @Test
    void fragmentedMessageGrowsPastItsFirstAllocation() {
        byte[] first = pattern(10);
        byte[] middle = pattern(300);
        byte[] last = pattern(700);

        reader.read(ByteBuffer.wrap(concat(
                frame(BINARY_FIRST, first, 0x0badf00d),
                frame(CONTINUATION, middle, 0x12345678),
                frame(CONTINUATION_LAST, last, 0x9abcdef0))));

        assertThat(handler.events).containsExactly("binary:" + hex(concat(first, middle, last)));
    }

    @Test
    void emptyFragmentsMakeAnEmptyMessage() {
        reader.read(ByteBuffer.wrap(concat(
                frame(BINARY_FIRST, new byte[0]),
                frame(CONTINUATION, new byte[0]),
                frame(CONTINUATION_LAST, new byte[0]),
                frame(BINARY_FIRST, new byte[0]),
                frame(CONTINUATION_LAST, hex("07")))));

        assertThat(handler.events).containsExactly("binary:", "binary:07");
    }

    // ---- bytes arriving in pieces

    /** Binary, ping, a fragmented binary message with control frames inside, a pong, and a close. */
    private static byte[] mixedStream() {
        return concat(
                frame(BINARY, ascii("abc"), 0x01020304),
                frame(PING, ascii("p1"), 0xa1b2c3d4),
                frame(BINARY_FIRST, pattern(5), 0x0f1e2d3c),
                frame(PING, new byte[0], 0x55555555),
                frame(CONTINUATION, pattern(130), 0x4b5a6978),
                frame(PONG, ascii("po"), 0x87968574),
                frame(CONTINUATION_LAST, pattern(7), 0x13579bdf),
                frame(BINARY, pattern(126), 0x2468ace0),
                frame(CLOSE, WebSocketProtocol.closePayload(1000, "bye"), 0xfedcba98));
    }

    private static List<String> mixedStreamEvents() {
        return List.of(
                "binary:616263",
                "ping:7031",
                "ping:",
                "pong:706f",
                "binary:" + hex(concat(pattern(5), pattern(130), pattern(7))),
                "binary:" + hex(pattern(126)),
                "close:1000:bye");
    }

    /** Text messages (one fragmented, with a ping inside) between binary ones. */
    private static byte[] textStream() {
        return concat(
                frame(BINARY, hex("01")),
                hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"),
                frame(TEXT_FIRST, ascii("Hel"), 0x01020304),
                frame(PING, ascii("x"), 0x0a0b0c0d),
                frame(CONTINUATION, pattern(200), 0x11111111),
                frame(CONTINUATION_LAST, ascii("lo"), 0x22222222),
                frame(TEXT, pattern(300), 0x33333333),
                frame(BINARY, pattern(9), 0x44444444));
    }

    private static List<String> textStreamEvents() {
        return List.of("binary:01", "text", "text", "ping:78", "text", "binary:" + hex(pattern(9)));
    }

    @Test
    void mixedStreamInOneBufferGivesTheExpectedEvents() {
        ByteBuffer buffer = ByteBuffer.wrap(mixedStream());

        reader.read(buffer);

        assertThat(handler.events).isEqualTo(mixedStreamEvents());
        assertThat(reader.isStopped()).isTrue();
        assertThat(buffer.hasRemaining()).isFalse();
    }

    @Test
    void mixedStreamSplitAtEveryByteBoundaryGivesTheSameEvents() {
        assertSameEventsAtEverySplit(mixedStream(), mixedStreamEvents(), true);
    }

    @Test
    void mixedStreamFedByteByByteGivesTheSameEvents() {
        assertSameEventsByteByByte(mixedStream(), mixedStreamEvents(), true);
    }

    @Test
    void textStreamInOneBufferGivesTheExpectedEvents() {
        ByteBuffer buffer = ByteBuffer.wrap(textStream());

        reader.read(buffer);

        assertThat(handler.events).isEqualTo(textStreamEvents());
        assertThat(reader.isStopped()).isFalse();
        assertThat(buffer.hasRemaining()).isFalse();
    }

    @Test
    void textStreamSplitAtEveryByteBoundaryGivesTheSameEvents() {
        assertSameEventsAtEverySplit(textStream(), textStreamEvents(), false);
    }

    @Test
    void textStreamFedByteByByteGivesTheSameEvents() {
        assertSameEventsByteByByte(textStream(), textStreamEvents(), false);
    }

    private static void assertSameEventsAtEverySplit(byte[] stream, List<String> expected, boolean stops) {
        for (int split = 0; split <= stream.length; split++) {
            Recorder recorder = new Recorder();
            FrameReader splitReader = new FrameReader(recorder, MAX);
            Socket socket = new Socket(splitReader, stream.length);

            socket.arrive(Arrays.copyOfRange(stream, 0, split));
            socket.arrive(Arrays.copyOfRange(stream, split, stream.length));

            assertThat(recorder.events).as("split at %d", split).isEqualTo(expected);
            assertThat(splitReader.isStopped()).as("split at %d", split).isEqualTo(stops);
            if (!stops) {
                assertThat(socket.kept()).as("split at %d", split).isZero();
            }
        }
    }

    private static void assertSameEventsByteByByte(byte[] stream, List<String> expected, boolean stops) {
        Recorder recorder = new Recorder();
        FrameReader byteReader = new FrameReader(recorder, MAX);
        Socket socket = new Socket(byteReader, stream.length);

        for (byte b : stream) {
            socket.arrive(new byte[] { b });
            // At most an incomplete header or control frame is ever kept (FrameReader's javadoc).
            assertThat(socket.kept()).isLessThanOrEqualTo(139);
        }

        assertThat(recorder.events).isEqualTo(expected);
        assertThat(byteReader.isStopped()).isEqualTo(stops);
    }

    @Test
    void payloadSpanningTwoReadsIsUnmaskedFromItsOffset() {
        // 13 bytes: not a multiple of 4 or 8; the second read starts at payload offset 3.
        byte[] payload = pattern(13);
        byte[] frame = frame(BINARY, payload, 0x9a7b3c1d);
        Socket socket = new Socket(reader, frame.length);

        socket.arrive(Arrays.copyOfRange(frame, 0, 6 + 3));
        assertThat(handler.events).isEmpty();
        assertThat(socket.kept()).isZero();
        socket.arrive(Arrays.copyOfRange(frame, 6 + 3, frame.length));

        assertThat(handler.events).containsExactly("binary:" + hex(payload));
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 2, 3, 5, 6, 7, 9, 11, 13, 17, 23 })
    void maskingKeyRotatesCorrectlyWhateverTheReadSizes(int chunk) {
        // 1001 bytes (16-bit length): not a multiple of 4 or 8, with long chunks at every key offset.
        byte[] payload = pattern(1001);
        byte[] frame = frame(BINARY, payload, 0x9a7b3c1d);
        Socket socket = new Socket(reader, frame.length);

        socket.arrive(Arrays.copyOfRange(frame, 0, 8 + 1));
        for (int from = 9; from < frame.length; from += chunk) {
            assertThat(handler.events).isEmpty();
            socket.arrive(Arrays.copyOfRange(frame, from, Math.min(frame.length, from + chunk)));
        }

        assertThat(handler.events).containsExactly("binary:" + hex(payload));
        assertThat(socket.kept()).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 2, 3, 4, 5, 7, 8, 9 })
    void fragmentsWithPayloadsSpanningReadsAreUnmaskedFromTheirOwnOffsets(int firstPart) {
        byte[] a = pattern(11);
        byte[] b = pattern(19);
        byte[] frameA = frame(BINARY_FIRST, a, 0x01234567);
        byte[] frameB = frame(CONTINUATION_LAST, b, 0x89abcdef);
        Socket socket = new Socket(reader, frameA.length + frameB.length);

        socket.arrive(Arrays.copyOfRange(frameA, 0, 6 + firstPart));
        socket.arrive(concat(Arrays.copyOfRange(frameA, 6 + firstPart, frameA.length),
                Arrays.copyOfRange(frameB, 0, 6 + firstPart)));
        socket.arrive(Arrays.copyOfRange(frameB, 6 + firstPart, frameB.length));

        assertThat(handler.events).containsExactly("binary:" + hex(concat(a, b)));
    }

    @Test
    void partOfADataPayloadIsConsumed() {
        byte[] frame = frame(BINARY, pattern(10));
        ByteBuffer buffer = ByteBuffer.wrap(Arrays.copyOf(frame, 6 + 4));

        reader.read(buffer);

        assertThat(handler.events).isEmpty();
        assertThat(buffer.hasRemaining()).isFalse();

        reader.read(ByteBuffer.wrap(Arrays.copyOfRange(frame, 10, frame.length)));

        assertThat(handler.events).containsExactly("binary:" + hex(pattern(10)));
    }

    // ---- incomplete frames stay in the buffer

    @ParameterizedTest
    @ValueSource(ints = { 5, 300, 70000 })
    void incompleteHeaderLeavesThePositionAtTheStartOfItsFrame(int length) {
        byte[] before = frame(BINARY, ascii("ok"));
        byte[] frame = frame(BINARY, pattern(length));
        int headerLength = length < 126 ? 6 : length <= 0xFFFF ? 8 : 14;
        for (int cut = 1; cut < headerLength; cut++) {
            Recorder recorder = new Recorder();
            FrameReader cutReader = new FrameReader(recorder, MAX);
            byte[] bytes = concat(before, Arrays.copyOf(frame, cut));
            ByteBuffer buffer = ByteBuffer.wrap(bytes.clone());

            cutReader.read(buffer);

            assertThat(recorder.events).as("cut at %d", cut).containsExactly("binary:6f6b");
            assertThat(buffer.position()).as("cut at %d", cut).isEqualTo(before.length);
            assertThat(Arrays.copyOfRange(buffer.array(), before.length, bytes.length))
                    .as("kept bytes, cut at %d", cut).isEqualTo(Arrays.copyOf(frame, cut));
            assertThat(cutReader.isStopped()).isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { PING, PONG, CLOSE })
    void incompleteControlFrameLeavesThePositionAtItsStartStillMasked(int b0) {
        byte[] before = frame(BINARY, ascii("ok"));
        byte[] frame = frame(b0, WebSocketProtocol.closePayload(1000, "control payload"), 0x5a5a5a5a);
        for (int cut = 1; cut < frame.length; cut++) {
            Recorder recorder = new Recorder();
            FrameReader cutReader = new FrameReader(recorder, MAX);
            byte[] bytes = concat(before, Arrays.copyOf(frame, cut));
            ByteBuffer buffer = ByteBuffer.wrap(bytes.clone());

            cutReader.read(buffer);

            assertThat(recorder.events).as("cut at %d", cut).containsExactly("binary:6f6b");
            assertThat(buffer.position()).as("cut at %d", cut).isEqualTo(before.length);
            assertThat(Arrays.copyOfRange(buffer.array(), before.length, bytes.length))
                    .as("kept bytes, cut at %d", cut).isEqualTo(Arrays.copyOf(frame, cut));
            assertThat(cutReader.isStopped()).isFalse();
        }
    }

    // ---- text

    @Test
    void textFrameIsReportedOnceAndItsBytesSkipped() {
        ByteBuffer buffer = ByteBuffer.wrap(concat(
                hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"),
                frame(BINARY, ascii("bin"))));

        reader.read(buffer);

        assertThat(handler.events).containsExactly("text", "binary:62696e");
        assertThat(buffer.hasRemaining()).isFalse();
        assertThat(reader.isStopped()).isFalse();
    }

    @Test
    void fragmentedTextIsReportedOnceAtItsFirstFrame() {
        reader.read(ByteBuffer.wrap(concat(
                frame(TEXT_FIRST, ascii("Hel")),
                frame(PING, ascii("i")),
                frame(CONTINUATION, ascii("l")),
                frame(CONTINUATION_LAST, ascii("o")),
                frame(BINARY, ascii("bin")))));

        assertThat(handler.events).containsExactly("text", "ping:69", "binary:62696e");
    }

    @Test
    void textIsReportedWhenItsHeaderArrivesBeforeItsPayload() {
        byte[] frame = frame(TEXT, pattern(50));
        Socket socket = new Socket(reader, frame.length);

        socket.arrive(Arrays.copyOf(frame, 5));
        assertThat(handler.events).isEmpty();
        socket.arrive(Arrays.copyOfRange(frame, 5, 6));
        assertThat(handler.events).containsExactly("text");
        socket.arrive(Arrays.copyOfRange(frame, 6, frame.length));

        assertThat(handler.events).containsExactly("text");
        assertThat(socket.kept()).isZero();
    }

    @Test
    void emptyTextFrameIsReported() {
        reader.read(ByteBuffer.wrap(concat(frame(TEXT, new byte[0]), frame(BINARY, hex("00")))));

        assertThat(handler.events).containsExactly("text", "binary:00");
    }

    // ---- control frames

    @Test
    void pingPayloadIsDelivered() {
        reader.read(ByteBuffer.wrap(hex("89 85 37 fa 21 3d 7f 9f 4d 51 58")));

        assertThat(handler.events).containsExactly("ping:48656c6c6f");
    }

    @Test
    void pongPayloadIsDelivered() {
        // RFC 6455 5.7: "Unsolicited masked Pong response".
        reader.read(ByteBuffer.wrap(hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58")));

        assertThat(handler.events).containsExactly("pong:48656c6c6f");
    }

    @Test
    void emptyAndLargestControlPayloadsAreDelivered() {
        reader.read(ByteBuffer.wrap(concat(
                frame(PING, new byte[0]),
                frame(PONG, new byte[0]),
                frame(PING, pattern(125)),
                frame(PONG, pattern(125)))));

        assertThat(handler.events).containsExactly(
                "ping:", "pong:", "ping:" + hex(pattern(125)), "pong:" + hex(pattern(125)));
    }

    @Test
    void closeFrameGivesItsCodeAndReason() {
        reader.read(ByteBuffer.wrap(frame(CLOSE, hex("03 e8 62 79 65"))));

        assertThat(handler.events).containsExactly("close:1000:bye");
        assertThat(reader.isStopped()).isTrue();
    }

    @Test
    void closeReasonIsDecodedAsUtf8() {
        reader.read(ByteBuffer.wrap(frame(CLOSE, concat(hex("0f a0"), "é€😀".getBytes(StandardCharsets.UTF_8)))));

        assertThat(handler.events).containsExactly("close:4000:é€😀");
    }

    @Test
    void closeFrameWithTheLongestReasonIsAccepted() {
        String reason = "r".repeat(123);

        reader.read(ByteBuffer.wrap(frame(CLOSE, concat(hex("03 e9"), ascii(reason)))));

        assertThat(handler.events).containsExactly("close:1001:" + reason);
    }

    @Test
    void closeFrameWithOnlyACodeHasAnEmptyReason() {
        reader.read(ByteBuffer.wrap(frame(CLOSE, hex("03 e9"))));

        assertThat(handler.events).containsExactly("close:1001:");
    }

    @Test
    void closeFrameWithoutPayloadIsNoStatus() {
        reader.read(ByteBuffer.wrap(hex("88 80 01 02 03 04")));

        assertThat(handler.events).containsExactly("close:" + CloseCodes.NO_STATUS + ":");
        assertThat(reader.isStopped()).isTrue();
    }

    @Test
    void bytesAfterACloseFrameAreIgnored() {
        reader.read(ByteBuffer.wrap(concat(
                frame(CLOSE, hex("03 e8")),
                frame(BINARY, hex("01")),
                frame(PING, hex("02")),
                hex("81 05 48 65 6c 6c 6f"))));

        assertThat(handler.events).containsExactly("close:1000:");
        assertThat(reader.isStopped()).isTrue();

        ByteBuffer later = ByteBuffer.wrap(concat(frame(BINARY, hex("03")), hex("81 05 48 65 6c 6c 6f")));
        reader.read(later);

        assertThat(handler.events).containsExactly("close:1000:");
        assertThat(later.hasRemaining()).isFalse();
        assertThat(reader.isStopped()).isTrue();
    }

    @Test
    void closeFrameConsumesTheRestOfTheBuffer() {
        // FrameReader#read: "After a close frame or a violation everything is consumed and ignored."
        ByteBuffer buffer = ByteBuffer.wrap(concat(frame(CLOSE, hex("03 e8")), frame(BINARY, hex("01"))));

        reader.read(buffer);

        assertThat(handler.events).containsExactly("close:1000:");
        assertThat(buffer.position()).isEqualTo(buffer.limit());
    }

    @ParameterizedTest
    @ValueSource(ints = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999 })
    void validCloseCodesAreAccepted(int code) {
        reader.read(ByteBuffer.wrap(frame(CLOSE, WebSocketProtocol.closePayload(code, "why"))));

        assertThat(handler.events).containsExactly("close:" + code + ":why");
        assertThat(reader.isStopped()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535 })
    void invalidCloseCodeIsAProtocolError(int code) {
        reader.read(ByteBuffer.wrap(frame(CLOSE, new byte[] { (byte) (code >> 8), (byte) code, 'x' })));

        assertThat(handler.events).containsExactly("violation:1002:Invalid close code " + code);
        assertThat(reader.isStopped()).isTrue();
    }

    // ---- violations

    /** A violating byte sequence and the events it gives after a first "ok" binary frame. */
    private static Arguments violation(String name, byte[] violating, int code, String reason) {
        return violation(name, violating, List.of(), code, reason);
    }

    private static Arguments violation(String name, byte[] violating, List<String> before, int code, String reason) {
        List<String> events = new ArrayList<>();
        events.add("binary:6f6b");
        events.addAll(before);
        events.add("violation:" + code + ":" + reason);
        return arguments(name, violating, events);
    }

    private static Stream<Arguments> violations() {
        return Stream.of(
                violation("unmasked text frame (RFC 5.7)", hex("81 05 48 65 6c 6c 6f"),
                        1002, "Client frames must be masked"),
                violation("unmasked binary frame", hex("82 02 01 02"),
                        1002, "Client frames must be masked"),
                violation("unmasked ping", hex("89 05 48 65 6c 6c 6f"),
                        1002, "Client frames must be masked"),
                violation("RSV1 set", frame(0xC2, hex("01")),
                        1002, "RSV bits set, but no extension was negotiated"),
                violation("RSV2 set", frame(0xA2, hex("01")),
                        1002, "RSV bits set, but no extension was negotiated"),
                violation("RSV3 set", frame(0x92, hex("01")),
                        1002, "RSV bits set, but no extension was negotiated"),
                violation("RSV1 set on a ping", frame(0xC9, hex("01")),
                        1002, "RSV bits set, but no extension was negotiated"),
                violation("fragmented ping", frame(0x09, ascii("p")),
                        1002, "Fragmented control frame"),
                violation("fragmented pong", frame(0x0A, ascii("p")),
                        1002, "Fragmented control frame"),
                violation("fragmented close", frame(0x08, hex("03 e8")),
                        1002, "Fragmented control frame"),
                violation("ping of 126 bytes", frame(PING, pattern(126)),
                        1002, "Control frame payload over 125 bytes"),
                violation("pong with a 64-bit length", hex("8a ff 00 00 00 00 00 01 00 00 01 02 03 04"),
                        1002, "Control frame payload over 125 bytes"),
                violation("close of 126 bytes", frame(CLOSE, concat(hex("03 e8"), pattern(124))),
                        1002, "Control frame payload over 125 bytes"),
                violation("continuation without a message", frame(CONTINUATION_LAST, hex("01")),
                        1002, "Continuation frame without a message to continue"),
                violation("non-final continuation without a message", frame(CONTINUATION, hex("01")),
                        1002, "Continuation frame without a message to continue"),
                violation("continuation after a finished message",
                        concat(frame(BINARY_FIRST, hex("01")), frame(CONTINUATION_LAST, hex("02")),
                                frame(CONTINUATION_LAST, hex("03"))),
                        List.of("binary:0102"), 1002, "Continuation frame without a message to continue"),
                violation("binary inside a fragmented binary message",
                        concat(frame(BINARY_FIRST, hex("01")), frame(BINARY, hex("02"))),
                        1002, "New message before the fragmented one ended"),
                violation("text inside a fragmented binary message",
                        concat(frame(BINARY_FIRST, hex("01")), frame(TEXT, ascii("t"))),
                        1002, "New message before the fragmented one ended"),
                violation("non-final binary inside a fragmented binary message",
                        concat(frame(BINARY_FIRST, hex("01")), frame(CONTINUATION, hex("02")),
                                frame(BINARY_FIRST, hex("03"))),
                        1002, "New message before the fragmented one ended"),
                violation("binary inside a fragmented text message",
                        concat(frame(TEXT_FIRST, ascii("t")), frame(BINARY, hex("02"))),
                        List.of("text"), 1002, "New message before the fragmented one ended"),
                violation("64-bit length with its most significant bit set",
                        hex("82 ff 80 00 00 00 00 00 00 00 01 02 03 04"),
                        1002, "Frame length has its most significant bit set"),
                violation("64-bit length of all ones",
                        hex("82 ff ff ff ff ff ff ff ff ff 01 02 03 04"),
                        1002, "Frame length has its most significant bit set"),
                violation("text frame with its length's most significant bit set",
                        hex("81 ff 80 00 00 00 00 00 00 01 01 02 03 04"),
                        1002, "Frame length has its most significant bit set"),
                violation("16-bit length for 0 bytes (RFC 5.2: shortest encoding)",
                        hex("82 fe 00 00 01 02 03 04"),
                        1002, "Frame length not in its shortest encoding"),
                violation("16-bit length for 125 bytes", concat(hex("82 fe 00 7d 01 02 03 04"), pattern(125)),
                        1002, "Frame length not in its shortest encoding"),
                violation("64-bit length for 1 byte", hex("82 ff 00 00 00 00 00 00 00 01 01 02 03 04 05"),
                        1002, "Frame length not in its shortest encoding"),
                violation("64-bit length for 65535 bytes", hex("82 ff 00 00 00 00 00 00 ff ff 01 02 03 04"),
                        1002, "Frame length not in its shortest encoding"),
                violation("text frame with a 16-bit length for 5 bytes", hex("81 fe 00 05 01 02 03 04 05 06 07 08 09"),
                        1002, "Frame length not in its shortest encoding"),
                violation("continuation with a 64-bit length for 2 bytes",
                        concat(frame(BINARY_FIRST, hex("01")), hex("80 ff 00 00 00 00 00 00 00 02 01 02 03 04 05 06")),
                        1002, "Frame length not in its shortest encoding"),
                violation("close with a 1-byte payload", frame(CLOSE, hex("03")),
                        1002, "Close frame with a 1-byte payload"),
                violation("close code 1005", frame(CLOSE, hex("03 ed")),
                        1002, "Invalid close code 1005"),
                violation("close reason not UTF-8", frame(CLOSE, hex("03 e8 c3 28")),
                        1007, "Close reason is not valid UTF-8"),
                violation("close reason with a lone 0xff", frame(CLOSE, hex("03 e8 62 ff 65")),
                        1007, "Close reason is not valid UTF-8"),
                violation("close reason cut inside a character", frame(CLOSE, hex("03 e8 e2 82")),
                        1007, "Close reason is not valid UTF-8"),
                violation("close reason with an encoded surrogate", frame(CLOSE, hex("03 e8 ed a0 80")),
                        1007, "Close reason is not valid UTF-8"),
                violation("binary over the maximum", frame(BINARY, pattern(1001)),
                        1009, "Message over the maximum of 1000 bytes"),
                violation("first fragment over the maximum", frame(BINARY_FIRST, pattern(1001)),
                        1009, "Message over the maximum of 1000 bytes"),
                violation("fragments over the maximum",
                        concat(frame(BINARY_FIRST, pattern(600)), frame(CONTINUATION, pattern(400)),
                                frame(CONTINUATION_LAST, pattern(1))),
                        1009, "Message over the maximum of 1000 bytes"));
    }

    private static Stream<Arguments> unknownOpcodes() {
        return IntStream.of(3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)
                .mapToObj(opcode -> violation("opcode " + opcode, frame(0x80 | opcode, hex("01")),
                        1002, "Unknown opcode " + opcode));
    }

    private static Stream<Arguments> allViolations() {
        return Stream.concat(violations(), unknownOpcodes());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allViolations")
    void violationIsReportedOnceWithItsCloseCodeAndStopsTheReader(String name, byte[] violating, List<String> expected) {
        FrameReader limited = new FrameReader(handler, 1000);
        ByteBuffer buffer = ByteBuffer.wrap(concat(
                frame(BINARY, ascii("ok")),
                violating,
                frame(BINARY, ascii("after")),
                frame(PING, ascii("ping")),
                hex("81 05 48 65 6c 6c 6f")));

        limited.read(buffer);

        assertThat(handler.events).isEqualTo(expected);
        assertThat(limited.isStopped()).isTrue();

        ByteBuffer later = ByteBuffer.wrap(concat(frame(BINARY, ascii("later")), hex("81 05 48 65 6c 6c 6f")));
        limited.read(later);

        assertThat(handler.events).isEqualTo(expected);
        assertThat(later.hasRemaining()).isFalse();
        assertThat(limited.isStopped()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allViolations")
    void violationConsumesTheRestOfTheBuffer(String name, byte[] violating, List<String> expected) {
        // FrameReader#read: "After a close frame or a violation everything is consumed and ignored."
        FrameReader limited = new FrameReader(handler, 1000);
        ByteBuffer buffer = ByteBuffer.wrap(concat(frame(BINARY, ascii("ok")), violating, frame(BINARY, ascii("after"))));

        limited.read(buffer);

        assertThat(handler.events).isEqualTo(expected);
        assertThat(buffer.position()).isEqualTo(buffer.limit());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allViolations")
    void violationIsFoundWhateverTheSplit(String name, byte[] violating, List<String> expected) {
        byte[] stream = concat(frame(BINARY, ascii("ok")), violating);
        for (int split = 0; split <= stream.length; split++) {
            Recorder recorder = new Recorder();
            FrameReader splitReader = new FrameReader(recorder, 1000);
            Socket socket = new Socket(splitReader, stream.length);

            socket.arrive(Arrays.copyOfRange(stream, 0, split));
            if (!splitReader.isStopped()) {
                socket.arrive(Arrays.copyOfRange(stream, split, stream.length));
            }

            assertThat(recorder.events).as("split at %d", split).isEqualTo(expected);
            assertThat(splitReader.isStopped()).isTrue();
        }
    }

    @Test
    void unmaskedFrameIsAProtocolError() {
        // RFC 6455 5.7's unmasked "Hello": what a server sends, never a client (5.1).
        reader.read(ByteBuffer.wrap(hex("81 05 48 65 6c 6c 6f")));

        assertThat(handler.events).containsExactly("violation:1002:Client frames must be masked");
        assertThat(reader.isStopped()).isTrue();
    }

    @Test
    void secondViolationIsNotReported() {
        reader.read(ByteBuffer.wrap(hex("81 05 48 65 6c 6c 6f")));
        reader.read(ByteBuffer.wrap(concat(frame(0xC2, hex("01")), hex("81 05 48 65 6c 6c 6f"))));
        reader.read(ByteBuffer.wrap(frame(CLOSE, hex("03 e8"))));

        assertThat(handler.events).containsExactly("violation:1002:Client frames must be masked");
    }

    @Test
    void openFragmentedMessageIsDroppedByAViolation() {
        reader.read(ByteBuffer.wrap(concat(
                frame(BINARY_FIRST, hex("0102")),
                frame(0x83, hex("03")),
                frame(CONTINUATION_LAST, hex("04")))));

        assertThat(handler.events).containsExactly("violation:1002:Unknown opcode 3");
    }

    // ---- the maximum message size

    @Test
    void frameOverTheMaximumFailsFromItsHeaderAlone() {
        FrameReader limited = new FrameReader(handler, 1000);
        // 16-bit length 1001 and the mask: no payload byte yet.
        ByteBuffer header = ByteBuffer.wrap(hex("82 fe 03 e9 01 02 03 04"));

        limited.read(header);

        assertThat(handler.events).containsExactly("violation:1009:Message over the maximum of 1000 bytes");
        assertThat(limited.isStopped()).isTrue();
    }

    @Test
    void frameWithAHugeLengthFailsFromItsHeaderAlone() {
        FrameReader limited = new FrameReader(handler, 1000);
        // 64-bit length 2^40.
        limited.read(ByteBuffer.wrap(hex("82 ff 00 00 01 00 00 00 00 00 01 02 03 04")));

        assertThat(handler.events).containsExactly("violation:1009:Message over the maximum of 1000 bytes");
    }

    @Test
    void frameLengthOverIntegerRangeFailsAsTooBigEvenWithTheLargestMaximum() {
        FrameReader limited = new FrameReader(handler, Integer.MAX_VALUE);
        limited.read(ByteBuffer.wrap(hex("82 ff 00 00 00 00 80 00 00 00 01 02 03 04")));

        assertThat(handler.events)
                .containsExactly("violation:1009:Message over the maximum of " + Integer.MAX_VALUE + " bytes");
    }

    @Test
    void fragmentTakingTheMessageOverTheMaximumFailsFromItsHeaderAlone() {
        FrameReader limited = new FrameReader(handler, 10);
        limited.read(ByteBuffer.wrap(frame(BINARY_FIRST, pattern(6))));
        assertThat(handler.events).isEmpty();

        limited.read(ByteBuffer.wrap(hex("80 85 01 02 03 04")));

        assertThat(handler.events).containsExactly("violation:1009:Message over the maximum of 10 bytes");
        assertThat(limited.isStopped()).isTrue();
    }

    /**
     * Issue 10: after a first fragment, a continuation declaring close to 2^63 bytes made
     * {@code gatheredLength + length} overflow to a negative total that passed the check; the
     * payload then ran past the first fragment's array (IndexOutOfBoundsException, TCP dropped
     * without a close frame). Whatever the declared length, the header alone must refuse it.
     */
    @ParameterizedTest
    @CsvSource({
            "00, 7f ff ff ff ff ff ff ff", // non-final, 2^63 - 1: 6 + it wraps to -2^63 + 5
            "80, 7f ff ff ff ff ff ff ff", // final, 2^63 - 1
            "00, 7f ff ff ff ff ff ff fa", // 2^63 - 6: 6 + it is exactly 2^63, i.e. Long.MIN_VALUE
            "00, 7f ff ff ff ff ff ff f9", // 2^63 - 7: 6 + it is Long.MAX_VALUE, no wrap
            "00, 00 00 00 00 ff ff ff fb", // 2^32 - 5: fine in a long, over any int maximum
    })
    void continuationDeclaringAHugeLengthAfterAFirstFragmentFailsAsTooBigFromItsHeaderAlone(String b0, String length) {
        FrameReader limited = new FrameReader(handler, 10);
        limited.read(ByteBuffer.wrap(frame(BINARY_FIRST, pattern(6))));
        assertThat(handler.events).isEmpty();

        // The continuation's header (64-bit length, mask) and 300 payload bytes after it.
        ByteBuffer continuation = ByteBuffer.wrap(concat(hex(b0 + " ff " + length + " 01 02 03 04"), pattern(300)));
        limited.read(continuation);

        assertThat(handler.events).containsExactly("violation:1009:Message over the maximum of 10 bytes");
        assertThat(limited.isStopped()).isTrue();
        assertThat(continuation.hasRemaining()).isFalse();
    }

    @Test
    void continuationHeaderAloneWithANearly2To63LengthFailsAsTooBigWithTheLargestMaximum() {
        // gatheredLength near Integer.MAX_VALUE is not needed to overflow: any first fragment is enough.
        FrameReader limited = new FrameReader(handler, Integer.MAX_VALUE);
        limited.read(ByteBuffer.wrap(frame(BINARY_FIRST, pattern(200))));

        limited.read(ByteBuffer.wrap(hex("80 ff 7f ff ff ff ff ff ff ff 01 02 03 04")));

        assertThat(handler.events)
                .containsExactly("violation:1009:Message over the maximum of " + Integer.MAX_VALUE + " bytes");
    }

    @Test
    void continuationBringingTheMessageToExactlyTheMaximumIsAcceptedAndOneMoreIsNot() {
        // The overflow-safe check keeps the boundary: 6 + 4 = 10 of 10 passes, 6 + 5 fails.
        FrameReader exact = new FrameReader(handler, 10);
        exact.read(ByteBuffer.wrap(concat(frame(BINARY_FIRST, pattern(6)), hex("80 84 01 02 03 04"), mask(pattern(4), 0x01020304, 0))));
        assertThat(handler.events).containsExactly("binary:" + hex(concat(pattern(6), pattern(4))));

        Recorder over = new Recorder();
        FrameReader oneMore = new FrameReader(over, 10);
        oneMore.read(ByteBuffer.wrap(concat(frame(BINARY_FIRST, pattern(6)), hex("80 85 01 02 03 04"))));
        assertThat(over.events).containsExactly("violation:1009:Message over the maximum of 10 bytes");
    }

    @Test
    void messageOfExactlyTheMaximumIsDelivered() {
        FrameReader limited = new FrameReader(handler, 10);

        limited.read(ByteBuffer.wrap(concat(
                frame(BINARY, pattern(10)),
                frame(BINARY_FIRST, pattern(6)),
                frame(PING, hex("aa")),
                frame(CONTINUATION, new byte[0]),
                frame(CONTINUATION_LAST, pattern(4)))));

        assertThat(handler.events).containsExactly(
                "binary:" + hex(pattern(10)), "ping:aa", "binary:" + hex(concat(pattern(6), pattern(4))));
        assertThat(limited.isStopped()).isFalse();
    }

    @Test
    void messageOfExactlyTheMaximumSpanningReadsIsDelivered() {
        FrameReader limited = new FrameReader(handler, 300);
        byte[] frame = frame(BINARY, pattern(300));
        Socket socket = new Socket(limited, frame.length);

        socket.arrive(Arrays.copyOf(frame, 100));
        socket.arrive(Arrays.copyOfRange(frame, 100, frame.length));

        assertThat(handler.events).containsExactly("binary:" + hex(pattern(300)));
    }

    @Test
    void textIsNotBoundByTheMaximumMessageSize() {
        // Text bytes are skipped, never gathered: the transport closes on the text itself.
        FrameReader limited = new FrameReader(handler, 10);

        limited.read(ByteBuffer.wrap(concat(frame(TEXT, pattern(100)), frame(BINARY, pattern(10)))));

        assertThat(handler.events).containsExactly("text", "binary:" + hex(pattern(10)));
    }

    // ---- helpers

    /** Records each event as a string; buffers as hex, read during the call as the handler contract says. */
    private static class Recorder implements FrameReader.Handler {

        final List<String> events = new ArrayList<>();
        /** Frame headers of messages in pieces, counted apart from the events. */
        int fragments;

        @Override
        public void onBinary(ByteBuffer message) {
            events.add("binary:" + hex(message));
        }

        @Override
        public void onFragment() {
            fragments++;
        }

        @Override
        public void onText() {
            events.add("text");
        }

        @Override
        public void onPing(ByteBuffer payload) {
            events.add("ping:" + hex(payload));
        }

        @Override
        public void onPong(ByteBuffer payload) {
            events.add("pong:" + hex(payload));
        }

        @Override
        public void onCloseFrame(int code, String reason) {
            events.add("close:" + code + ":" + reason);
        }

        @Override
        public void onViolation(int closeCode, String reason) {
            events.add("violation:" + closeCode + ":" + reason);
        }
    }

    /**
     * A socket reader's input buffer: bytes that arrive are appended after those the reader left,
     * then read, then the unconsumed bytes are moved to the front (compact), as JettyWebSocket does.
     */
    private static final class Socket {

        private final FrameReader reader;
        /** In fill mode between reads: the kept bytes are [0, position). */
        private final ByteBuffer buffer;

        Socket(FrameReader reader, int capacity) {
            this.reader = reader;
            this.buffer = ByteBuffer.allocate(capacity);
        }

        void arrive(byte[] bytes) {
            buffer.put(bytes);
            buffer.flip();
            reader.read(buffer);
            buffer.compact();
        }

        int kept() {
            return buffer.position();
        }
    }

    /** A client frame: {@code b0} (FIN, RSV, opcode), the shortest length encoding, the key, the masked payload. */
    private static byte[] frame(int b0, byte[] payload, int key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b0);
        int length = payload.length;
        if (length < 126) {
            out.write(0x80 | length);
        }
        else if (length <= 0xFFFF) {
            out.write(0x80 | 126);
            out.write(length >>> 8);
            out.write(length);
        }
        else {
            out.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) ((long) length >>> shift));
            }
        }
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.write(key >>> shift);
        }
        out.writeBytes(mask(payload, key, 0));
        return out.toByteArray();
    }

    private static byte[] frame(int b0, byte[] payload) {
        return frame(b0, payload, KEY);
    }

    /** XORs the payload with the key as RFC 6455 5.3 says, from payload offset {@code offset}. */
    private static byte[] mask(byte[] payload, int key, int offset) {
        byte[] masked = new byte[payload.length];
        for (int i = 0; i < payload.length; i++) {
            int j = (i + offset) % 4;
            masked[i] = (byte) (payload[i] ^ (key >>> (8 * (3 - j))));
        }
        return masked;
    }

    /** Bytes that never repeat with a period of 4 or 8, so a wrong mask offset shows. */
    private static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + 17 + (i >> 8) * 7);
        }
        return bytes;
    }


    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** The bytes from the position to the limit, without moving either. */
    private static String hex(ByteBuffer buffer) {
        ByteBuffer view = buffer.duplicate();
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return hex(bytes);
    }
}
