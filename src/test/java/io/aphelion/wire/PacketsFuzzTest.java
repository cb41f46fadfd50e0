package io.aphelion.wire;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import io.aphelion.fuzz.Corpus;
import io.aphelion.fuzz.Fuzz;
import io.aphelion.fuzz.Mutations;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Packets#ack} and {@link Packets#payload} of any received frame ({@link Fuzz}; seed corpus
 * {@code src/test/resources/fuzz/packets.txt}): the unsigned first byte and a view of the rest, or
 * a {@link ProtocolViolationException} with 1002 for an empty frame; never another exception, and
 * the frame's position and limit are left as they were. {@link Packets#encode} round-trips.
 */
class PacketsFuzzTest {

    private static final List<Corpus.Case> CORPUS = Corpus.load("packets");
    private static final List<byte[]> SEEDS = CORPUS.stream().map(Corpus.Case::bytes).toList();

    static List<Corpus.Case> corpus() {
        return CORPUS;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void corpusCaseReadsToItsOutcome(Corpus.Case seed) {
        ByteBuffer frame = ByteBuffer.wrap(seed.bytes());
        String outcome;
        try {
            outcome = "ack:" + Packets.ack(frame) + ":" + Packets.payload(frame).remaining();
        }
        catch (ProtocolViolationException ex) {
            outcome = String.valueOf(ex.closeCode());
        }
        assertThat(outcome).isEqualTo(seed.field(0));
        assertReadContract(seed.bytes(), 0, 0);
    }

    @Test
    void anyFrameGivesItsAckAndPayloadOr1002() {
        Fuzz.forAllBytes("packets ack and payload", 4000, random -> random.nextBoolean()
                ? Mutations.randomBytes(random, 64) : Mutations.mutate(random, SEEDS, 64), input -> {
                    SplittableRandom random = new SplittableRandom(input.aux());
                    assertReadContract(input.bytes(), random.nextInt(4), random.nextInt(4));
                });
    }

    @Test
    void encodedPacketsReadBackAsWritten() {
        Fuzz.forAllBytes("packets round trip", 3000, random -> Mutations.randomBytes(random, 300), input -> {
            int ack = (int) Math.floorMod(input.aux(), WireFormat.MAX_ACK + 1L);
            ByteBuffer frame = Packets.encode(ack, input.bytes());
            assertThat(Packets.ack(frame)).isEqualTo(ack);
            assertThat(bytes(Packets.payload(frame))).isEqualTo(input.bytes());
        });
    }

    @Test
    void ackOutsideAByteIsRefusedWhenEncoding() {
        Fuzz.forAll("packets encode refuses acks outside 0..MAX_ACK", 1000, random -> random.nextBoolean()
                ? random.nextInt(Integer.MIN_VALUE, 0) : random.nextInt(WireFormat.MAX_ACK + 1, Integer.MAX_VALUE), ack -> List.of(),
                ack -> assertThatThrownBy(() -> Packets.encode(ack, new byte[0])).isInstanceOf(IllegalArgumentException.class));
    }

    /** Reads a frame placed inside a larger buffer, outside whose position..limit window lie other bytes. */
    private static void assertReadContract(byte[] bytes, int before, int after) {
        byte[] backing = new byte[before + bytes.length + after];
        Arrays.fill(backing, (byte) 0xa5);
        System.arraycopy(bytes, 0, backing, before, bytes.length);
        ByteBuffer frame = ByteBuffer.wrap(backing, before, bytes.length);
        String hex = HexFormat.of().formatHex(bytes);
        if (bytes.length == 0) {
            assertThatThrownBy(() -> Packets.ack(frame)).as("ack of an empty frame")
                    .isInstanceOfSatisfying(ProtocolViolationException.class,
                            ex -> assertThat(ex.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR));
            assertThatThrownBy(() -> Packets.payload(frame)).as("payload of an empty frame")
                    .isInstanceOfSatisfying(ProtocolViolationException.class,
                            ex -> assertThat(ex.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR));
        }
        else {
            assertThat(Packets.ack(frame)).as("ack of %s", hex).isEqualTo(bytes[0] & 0xFF).isBetween(0, 255); // received acks are read unsigned; only those we send stop at MAX_ACK
            assertThat(bytes(Packets.payload(frame))).as("payload of %s", hex)
                    .isEqualTo(Arrays.copyOfRange(bytes, 1, bytes.length));
        }
        assertThat(frame.position()).as("position").isEqualTo(before);
        assertThat(frame.limit()).as("limit").isEqualTo(before + bytes.length);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
