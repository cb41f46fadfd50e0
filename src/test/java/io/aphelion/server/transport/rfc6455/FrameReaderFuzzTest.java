package io.aphelion.server.transport.rfc6455;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import io.aphelion.fuzz.Corpus;
import io.aphelion.fuzz.Fuzz;
import io.aphelion.fuzz.Mutations;
import io.aphelion.wire.CloseCodes;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FrameReader} fed arbitrary bytes at arbitrary split points ({@link Fuzz}; the seed corpus
 * is {@code src/test/resources/fuzz/frame-reader.txt}). Whatever the bytes, every outcome is
 * frames, a wait for more input, or one violation with a close code the reader may send; never an
 * exception, never a message over the maximum, never more bytes delivered than fed, and the same
 * events however the bytes were split. Valid frames written by an encoder of this test read back
 * as they were written, at any split.
 */
class FrameReaderFuzzTest {

    /** Close codes a reader may ask for (FrameReader's violations: RFC 6455 7.4.1's 1002, 1007, 1009). */
    private static final Set<Integer> VIOLATION_CODES = Set.of(CloseCodes.PROTOCOL_ERROR, CloseCodes.INVALID_PAYLOAD,
            CloseCodes.MESSAGE_TOO_BIG);
    /** What FrameReader may keep unconsumed between reads (its javadoc): an incomplete header or control frame. */
    private static final int MAX_KEPT = 139;
    /** Maximum message sizes the arbitrary-bytes tries use: small ones, so the limit is often in reach. */
    private static final int[] MAXIMA = { 0, 1, 10, 125, 126, 300, 1000, 65536 };

    private static final List<Corpus.Case> CORPUS = Corpus.load("frame-reader");
    private static final List<byte[]> SEEDS = CORPUS.stream().map(Corpus.Case::bytes).toList();

    // ---- the committed corpus, each case at every split point

    static List<Corpus.Case> corpus() {
        return CORPUS;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void corpusCaseGivesItsEventsAtEverySplitPoint(Corpus.Case seed) {
        int max = Integer.parseInt(seed.field(0));
        Outcome whole = read(seed.bytes(), max, new int[0]);
        assertThat(whole.failure).as("exception").isNull();
        assertThat(whole.summary()).isEqualTo(seed.field(1));
        for (int split = 0; split <= seed.bytes().length; split++) {
            Outcome parts = read(seed.bytes(), max, new int[] { split });
            assertInvariants(seed.bytes(), max, parts);
            assertThat(parts.events).as("split at %d", split).isEqualTo(whole.events);
        }
    }

    // ---- arbitrary bytes

    @Test
    void arbitraryBytesAtArbitrarySplitsGiveFramesAWaitOrOneViolation() {
        Fuzz.forAllBytes("frame-reader arbitrary bytes", 5000, FrameReaderFuzzTest::arbitraryInput, input -> {
            SplittableRandom random = new SplittableRandom(input.aux());
            int max = MAXIMA[random.nextInt(MAXIMA.length)];
            byte[] bytes = input.bytes();
            Outcome split = read(bytes, max, splits(random, bytes.length));
            assertInvariants(bytes, max, split);
            Outcome whole = read(bytes, max, new int[0]);
            assertThat(split.events).as("events, split as %s, against one read", split.splits).isEqualTo(whole.events);
        });
    }

    /** Random bytes, mutated corpus cases, or a soup of frames with random (often broken) headers. */
    private static byte[] arbitraryInput(SplittableRandom random) {
        return switch (random.nextInt(8)) {
            case 0, 1 -> Mutations.randomBytes(random, 300);
            case 2, 3, 4 -> Mutations.mutate(random, SEEDS, 4096);
            default -> frameSoup(random);
        };
    }

    /** 1..6 frames whose fields are drawn from every legal and illegal value, sometimes cut short. */
    private static byte[] frameSoup(SplittableRandom random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int frames = 1 + random.nextInt(6);
        for (int i = 0; i < frames; i++) {
            int[] opcodes = { 0x2, 0x2, 0x2, 0x0, 0x0, 0x9, 0xA, 0x8, 0x1, random.nextInt(16) };
            int opcode = opcodes[random.nextInt(opcodes.length)];
            boolean fin = random.nextInt(10) < 7;
            int rsv = random.nextInt(10) == 0 ? random.nextInt(1, 8) << 4 : 0;
            boolean masked = random.nextInt(20) != 0;
            byte[] payload = opcode == 0x8 && random.nextBoolean() ? closePayload(random) : payload(random);
            long declared = random.nextInt(5) != 0 ? payload.length : interestingLength(random);
            int key = random.nextInt(4) == 0 ? 0 : random.nextInt();
            writeHeader(out, (fin ? 0x80 : 0) | rsv | opcode, masked, declared, random.nextInt(5) == 0 ? random.nextInt(3) : -1);
            if (masked) {
                writeInt(out, key);
            }
            out.writeBytes(masked ? mask(payload, key) : payload);
        }
        byte[] bytes = out.toByteArray();
        return random.nextInt(10) == 0 ? Arrays.copyOf(bytes, random.nextInt(bytes.length + 1)) : bytes;
    }

    private static byte[] payload(SplittableRandom random) {
        int[] lengths = { 0, 1, 2, 5, 125, 126, 127, 200, 300, random.nextInt(301) };
        byte[] payload = new byte[lengths[random.nextInt(lengths.length)]];
        random.nextBytes(payload);
        return payload;
    }

    private static byte[] closePayload(SplittableRandom random) {
        int[] codes = { 1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999, 0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000,
                65535 };
        int code = codes[random.nextInt(codes.length)];
        byte[] reason = switch (random.nextInt(3)) {
            case 0 -> new byte[0];
            case 1 -> "bye \u00e9\u20ac".getBytes(StandardCharsets.UTF_8);
            default -> {
                byte[] bytes = new byte[random.nextInt(130)];
                random.nextBytes(bytes);
                yield bytes;
            }
        };
        byte[] payload = new byte[2 + reason.length];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(reason, 0, payload, 2, reason.length);
        return payload;
    }

    private static long interestingLength(SplittableRandom random) {
        long[] lengths = { 0, 1, 9, 10, 11, 125, 126, 127, 299, 300, 301, 999, 1000, 1001, 65535, 65536, 65537,
                Integer.MAX_VALUE, 1L << 31, 1L << 32, Long.MAX_VALUE, Long.MAX_VALUE - 5, Long.MAX_VALUE - 6, Long.MIN_VALUE, -1,
                random.nextLong() };
        return lengths[random.nextInt(lengths.length)];
    }

    /**
     * A client header: {@code encoding} 0, 1 or 2 forces a 7-, 16- or 64-bit length field when the
     * length fits it (non-shortest encodings included); -1 takes the shortest.
     */
    private static void writeHeader(ByteArrayOutputStream out, int b0, boolean masked, long length, int encoding) {
        out.write(b0);
        int maskBit = masked ? 0x80 : 0;
        boolean fits7 = length >= 0 && length < 126;
        boolean fits16 = length >= 0 && length <= 0xFFFF;
        int chosen = encoding == 0 && fits7 ? 0 : encoding == 1 && fits16 ? 1 : encoding == 2 ? 2
                : fits7 ? 0 : fits16 ? 1 : 2;
        if (chosen == 0) {
            out.write(maskBit | (int) length);
        }
        else if (chosen == 1) {
            out.write(maskBit | 126);
            out.write((int) (length >>> 8));
            out.write((int) length);
        }
        else {
            out.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) (length >>> shift));
            }
        }
    }

    // ---- valid frames round-trip

    @Test
    void encodedFramesReadBackAsWrittenWhateverTheSplits() {
        Fuzz.forAll("frame-reader round trip", 3000, FrameReaderFuzzTest::validStream, stream -> List.of(), stream -> {
            Outcome outcome = read(stream.bytes, stream.max, splits(new SplittableRandom(stream.splitSeed), stream.bytes.length));
            assertThat(outcome.failure).as("exception").isNull();
            assertThat(outcome.events).as("events, split as %s", outcome.splits).isEqualTo(stream.expected);
            assertThat(outcome.kept).as("bytes kept at the end").isZero();
        });
    }

    /** Frames a conforming client could send, what they must give, and the split to read them at. */
    private record ValidStream(byte[] bytes, List<String> expected, int max, long splitSeed) {

        @Override
        public String toString() {
            return "max=" + max + " splitSeed=" + splitSeed + " expected=" + expected + " bytes(" + bytes.length + ")="
                    + Fuzz.shown(bytes);
        }
    }

    /** 1..6 binary messages in 1..4 fragments each, pings and pongs between fragments, sometimes a close at the end. */
    private static ValidStream validStream(SplittableRandom random) {
        boolean large = random.nextInt(40) == 0;
        int max = large ? 1 << 17 : 1 + random.nextInt(2000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> expected = new ArrayList<>();
        int messages = 1 + random.nextInt(6);
        for (int m = 0; m < messages; m++) {
            int length = large && m == 0 ? 65536 + random.nextInt(4000) : random.nextInt(max + 1);
            byte[] message = new byte[Math.min(length, max)];
            random.nextBytes(message);
            int fragments = 1 + random.nextInt(4);
            int from = 0;
            for (int f = 0; f < fragments; f++) {
                int to = f == fragments - 1 ? message.length : from + random.nextInt(message.length - from + 1);
                int b0 = (f == fragments - 1 ? 0x80 : 0) | (f == 0 ? WebSocketProtocol.OPCODE_BINARY : WebSocketProtocol.OPCODE_CONTINUATION);
                writeFrame(out, random, b0, Arrays.copyOfRange(message, from, to));
                from = to;
                if (f < fragments - 1 && random.nextInt(3) == 0) {
                    byte[] control = new byte[random.nextInt(WebSocketProtocol.MAX_CONTROL_PAYLOAD + 1)];
                    random.nextBytes(control);
                    boolean ping = random.nextBoolean();
                    writeFrame(out, random, 0x80 | (ping ? WebSocketProtocol.OPCODE_PING : WebSocketProtocol.OPCODE_PONG), control);
                    expected.add((ping ? "ping:" : "pong:") + hex(control));
                }
            }
            expected.add("binary:" + hex(message));
        }
        if (random.nextInt(4) == 0) {
            int[] codes = { 1000, 1001, 1003, 1011, 3000, 4005, 4999 };
            int code = codes[random.nextInt(codes.length)];
            String reason = "done \u00e9".repeat(random.nextInt(10));
            writeFrame(out, random, 0x80 | WebSocketProtocol.OPCODE_CLOSE, WebSocketProtocol.closePayload(code, reason));
            expected.add("close:" + code + ":" + WebSocketProtocol.truncateReason(reason));
        }
        return new ValidStream(out.toByteArray(), List.copyOf(expected), max, random.nextLong());
    }

    private static void writeFrame(ByteArrayOutputStream out, SplittableRandom random, int b0, byte[] payload) {
        int key = random.nextInt();
        writeHeader(out, b0, true, payload.length, -1);
        writeInt(out, key);
        out.writeBytes(mask(payload, key));
    }

    // ---- reading and the invariants

    /** What one feeding gave. */
    private static final class Outcome {
        final List<String> events = new ArrayList<>();
        final List<Integer> binaryLengths = new ArrayList<>();
        long delivered;
        int maxKept;
        int kept;
        boolean stopped;
        Throwable failure;
        String splits;

        String summary() {
            if (events.isEmpty()) {
                return "none";
            }
            return events.stream().map(event -> {
                String[] parts = event.split(":", -1);
                return switch (parts[0]) {
                    case "binary", "ping", "pong" -> parts[0] + ":" + parts[1].length() / 2;
                    case "text" -> "text";
                    default -> parts[0] + ":" + parts[1];
                };
            }).collect(Collectors.joining(","));
        }
    }

    /**
     * Feeds {@code bytes} cut at {@code cuts} (ascending offsets) the way a socket reader does:
     * new bytes appended after those the reader left, read, the rest compacted to the front.
     */
    private static Outcome read(byte[] bytes, int max, int[] cuts) {
        Outcome outcome = new Outcome();
        outcome.splits = Arrays.toString(cuts);
        FrameReader reader = new FrameReader(new Recorder(outcome), max);
        ByteBuffer buffer = ByteBuffer.allocate(bytes.length);
        int from = 0;
        try {
            for (int i = 0; i <= cuts.length; i++) {
                int to = i < cuts.length ? cuts[i] : bytes.length;
                buffer.put(bytes, from, to - from);
                from = to;
                buffer.flip();
                reader.read(buffer);
                outcome.kept = buffer.remaining();
                outcome.maxKept = Math.max(outcome.maxKept, outcome.kept);
                buffer.compact();
            }
        }
        catch (Throwable ex) {
            outcome.failure = ex;
        }
        outcome.stopped = reader.isStopped();
        return outcome;
    }

    private static void assertInvariants(byte[] bytes, int max, Outcome outcome) {
        String context = "split as " + outcome.splits + ", max " + max;
        assertThat(outcome.failure).as("exception, %s", context).isNull();
        assertThat(outcome.binaryLengths).as("message lengths, %s", context).allSatisfy(length -> assertThat(length).isLessThanOrEqualTo(max));
        assertThat(outcome.delivered).as("bytes delivered, %s", context).isLessThanOrEqualTo(bytes.length);
        assertThat(outcome.maxKept).as("bytes kept between reads, %s", context).isLessThanOrEqualTo(MAX_KEPT);
        for (int i = 0; i < outcome.events.size(); i++) {
            String event = outcome.events.get(i);
            boolean terminal = event.startsWith("violation:") || event.startsWith("close:");
            if (terminal) {
                assertThat(i).as("a violation or a close is the last event, %s: %s", context, outcome.events)
                        .isEqualTo(outcome.events.size() - 1);
                assertThat(outcome.stopped).as("stopped after %s", event).isTrue();
                assertThat(outcome.kept).as("everything consumed after %s", event).isZero();
            }
            if (event.startsWith("violation:")) {
                assertThat(Integer.parseInt(event.split(":")[1])).as("violation close code, %s", context).isIn(VIOLATION_CODES);
            }
            if (event.startsWith("close:")) {
                int code = Integer.parseInt(event.split(":")[1]);
                assertThat(code == CloseCodes.NO_STATUS || WebSocketProtocol.isValidCloseCode(code))
                        .as("close code %d is one a peer may send", code).isTrue();
            }
        }
        if (!outcome.stopped) {
            assertThat(outcome.events).as("a reader that did not stop reported no violation or close")
                    .noneMatch(event -> event.startsWith("violation:") || event.startsWith("close:"));
        }
    }

    /** Records each event with its bytes in hex, copied during the call as the handler contract says. */
    private static final class Recorder implements FrameReader.Handler {

        private final Outcome outcome;

        Recorder(Outcome outcome) {
            this.outcome = outcome;
        }

        @Override
        public void onBinary(ByteBuffer message) {
            outcome.binaryLengths.add(message.remaining());
            outcome.delivered += message.remaining();
            outcome.events.add("binary:" + hex(message));
        }

        @Override
        public void onText() {
            outcome.events.add("text");
        }

        @Override
        public void onPing(ByteBuffer payload) {
            outcome.delivered += payload.remaining();
            outcome.events.add("ping:" + hex(payload));
        }

        @Override
        public void onPong(ByteBuffer payload) {
            outcome.delivered += payload.remaining();
            outcome.events.add("pong:" + hex(payload));
        }

        @Override
        public void onCloseFrame(int code, String reason) {
            outcome.events.add("close:" + code + ":" + reason);
        }

        @Override
        public void onViolation(int closeCode, String reason) {
            outcome.events.add("violation:" + closeCode + ":" + reason);
        }
    }

    /** Ascending cut offsets: one read, a few, or (short inputs, sometimes) byte by byte. */
    private static int[] splits(SplittableRandom random, int length) {
        if (length == 0) {
            return new int[0];
        }
        if (length <= 300 && random.nextInt(10) == 0) {
            int[] everyByte = new int[length - 1];
            for (int i = 0; i < everyByte.length; i++) {
                everyByte[i] = i + 1;
            }
            return everyByte;
        }
        return random.ints(random.nextInt(Math.min(length, 8) + 1), 0, length + 1).sorted().toArray();
    }

    private static byte[] mask(byte[] payload, int key) {
        byte[] masked = new byte[payload.length];
        for (int i = 0; i < payload.length; i++) {
            masked[i] = (byte) (payload[i] ^ (key >>> (8 * (3 - (i & 3)))));
        }
        return masked;
    }

    private static void writeInt(ByteArrayOutputStream out, int value) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.write(value >>> shift);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static String hex(ByteBuffer buffer) {
        ByteBuffer view = buffer.duplicate();
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return hex(bytes);
    }
}
