package io.aphelion.wire;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import io.aphelion.fuzz.Corpus;
import io.aphelion.fuzz.Fuzz;
import io.aphelion.fuzz.Mutations;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link InitPacket#decode} and {@link InitPacket#decodeReply} of any bytes ({@link Fuzz}; seed
 * corpus {@code src/test/resources/fuzz/init-packet.txt}): a valid decode exactly when the frame
 * is 39 (32) bytes, else a {@link ProtocolViolationException} with 4003; never another exception,
 * and the caller's buffer is left as it was.
 */
class InitPacketFuzzTest {

    private static final List<Corpus.Case> CORPUS = Corpus.load("init-packet");
    private static final List<byte[]> SEEDS = CORPUS.stream().map(Corpus.Case::bytes).toList();

    static List<Corpus.Case> corpus() {
        return CORPUS;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void corpusCaseDecodesToItsOutcome(Corpus.Case seed) {
        assertThat(outcome(ByteBuffer.wrap(seed.bytes()))).isEqualTo(seed.field(0));
        assertDecodeContract(seed.bytes(), 0, 0);
    }

    @Test
    void anyBytesDecodeOrFailWith4003() {
        Fuzz.forAllBytes("init-packet decode", 4000, random -> switch (random.nextInt(3)) {
            case 0 -> Mutations.randomBytes(random, 80);
            case 1 -> Mutations.mutate(random, SEEDS, 120);
            default -> lengthNear39(random);
        }, input -> {
            SplittableRandom random = new SplittableRandom(input.aux());
            assertDecodeContract(input.bytes(), random.nextInt(4), random.nextInt(4));
        });
    }

    @Test
    void encodedPacketsDecodeToThemselves() {
        Fuzz.forAll("init-packet round trip", 3000, random -> {
            byte[] token = new byte[SessionToken.LENGTH];
            random.nextBytes(token);
            return new InitPacket((short) random.nextInt(), random.nextInt(),
                    random.nextBoolean() ? SessionToken.of(token) : null);
        }, packet -> List.of(), packet -> {
            byte[] bytes = packet.encode();
            assertThat(bytes).hasSize(WireFormat.C2S_INIT_LENGTH);
            assertThat(InitPacket.decode(ByteBuffer.wrap(bytes))).isEqualTo(packet);
            if (packet.token() != null) {
                assertThat(InitPacket.decodeReply(ByteBuffer.wrap(InitPacket.encodeReply(packet.token()))))
                        .isEqualTo(packet.token());
            }
        });
    }

    /** 37..41 bytes: the lengths around the one that decodes, random content. */
    private static byte[] lengthNear39(SplittableRandom random) {
        byte[] bytes = new byte[WireFormat.C2S_INIT_LENGTH - 2 + random.nextInt(5)];
        random.nextBytes(bytes);
        if (random.nextBoolean()) {
            bytes[0] = 0;
            bytes[1] = (byte) (1 + random.nextInt(2));
        }
        return bytes;
    }

    /**
     * Decodes {@code bytes} placed in a larger buffer ({@code before} bytes in front, {@code after}
     * behind, outside the position..limit window), as the handshake and the client do.
     */
    private static void assertDecodeContract(byte[] bytes, int before, int after) {
        byte[] backing = new byte[before + bytes.length + after];
        Arrays.fill(backing, (byte) 0x5a);
        System.arraycopy(bytes, 0, backing, before, bytes.length);
        ByteBuffer frame = ByteBuffer.wrap(backing, before, bytes.length);
        String hex = HexFormat.of().formatHex(bytes);

        Object decoded = decodeOrViolation(() -> InitPacket.decode(frame));
        if (bytes.length == WireFormat.C2S_INIT_LENGTH) {
            assertThat(decoded).as("decode of 39 bytes %s", hex).isInstanceOf(InitPacket.class);
            InitPacket packet = (InitPacket) decoded;
            ByteBuffer big = ByteBuffer.wrap(bytes);
            assertThat(packet.protocol()).isEqualTo((int) big.getShort(0));
            assertThat(packet.version()).isEqualTo(big.getInt(2));
            assertThat(packet.token() != null).as("has token").isEqualTo(bytes[6] != 0);
            byte[] normalised = bytes.clone();
            normalised[6] = (byte) (bytes[6] != 0 ? 1 : 0);
            if (bytes[6] == 0) {
                Arrays.fill(normalised, 7, normalised.length, (byte) 0);
            }
            assertThat(packet.encode()).as("re-encoded").isEqualTo(normalised);
        }
        else {
            assertThat(decoded).as("decode of %d bytes %s", bytes.length, hex).isEqualTo(CloseCodes.MALFORMED_INIT);
        }
        assertThat(frame.position()).as("position").isEqualTo(before);
        assertThat(frame.limit()).as("limit").isEqualTo(before + bytes.length);

        Object reply = decodeOrViolation(() -> InitPacket.decodeReply(frame));
        if (bytes.length == WireFormat.S2C_INIT_LENGTH) {
            assertThat(reply).isInstanceOf(SessionToken.class);
            assertThat(((SessionToken) reply).toBytes()).isEqualTo(bytes);
        }
        else {
            assertThat(reply).as("decodeReply of %d bytes %s", bytes.length, hex).isEqualTo(CloseCodes.MALFORMED_INIT);
        }
        assertThat(frame.position()).as("position after decodeReply").isEqualTo(before);
    }

    /** The decoded value, or the close code of a protocol violation; any other exception propagates. */
    private static Object decodeOrViolation(Supplier<?> decode) {
        try {
            return decode.get();
        }
        catch (ProtocolViolationException ex) {
            return ex.closeCode();
        }
    }

    /** The corpus notation of what {@code decode} gives. */
    private static String outcome(ByteBuffer frame) {
        Object decoded = decodeOrViolation(() -> InitPacket.decode(frame));
        if (decoded instanceof InitPacket packet) {
            return "ok:" + packet.protocol() + ":" + packet.version() + ":"
                    + (packet.token() == null ? "none" : HexFormat.of().formatHex(packet.token().toBytes()));
        }
        return String.valueOf(decoded);
    }
}
