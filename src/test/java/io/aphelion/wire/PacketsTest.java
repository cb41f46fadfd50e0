package io.aphelion.wire;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PacketsTest {

    @Test
    void encodesAckThenPayload() {
        ByteBuffer frame = Packets.encode(2, new byte[] { 0x43, 0x21 });
        assertThat(HexFormat.of().formatHex(frame.array())).isEqualTo("024321");
    }

    @Test
    void ackOnlyPacketIsOneByte() {
        assertThat(Packets.encode(1, new byte[0]).array()).containsExactly(1);
    }

    @Test
    void ackIsReadUnsigned() {
        assertThat(Packets.ack(ByteBuffer.wrap(new byte[] { (byte) 0xff }))).isEqualTo(255);
        assertThat(Packets.ack(ByteBuffer.wrap(new byte[] { (byte) 0x80, 1 }))).isEqualTo(128);
    }

    @Test
    void emptyFrameIsAProtocolError() {
        assertThatThrownBy(() -> Packets.ack(ByteBuffer.allocate(0)))
                .isInstanceOfSatisfying(ProtocolViolationException.class,
                        ex -> assertThat(ex.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR));
    }

    @Test
    void payloadIsTheRestOfTheFrame() {
        ByteBuffer payload = Packets.payload(ByteBuffer.wrap(new byte[] { 0, 0x12, 0x34 }));
        assertThat(payload.remaining()).isEqualTo(2);
        assertThat(payload.get(0)).isEqualTo((byte) 0x12);
        assertThat(Packets.payload(ByteBuffer.wrap(new byte[] { 3 })).hasRemaining()).isFalse();
    }

    @Test
    void ackOutsideUnsignedByteIsRejected() {
        assertThatThrownBy(() -> Packets.encode(256, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Packets.encode(-1, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tokenToStringNeverShowsTheWholeToken() {
        SessionToken token = SessionToken.random(new SecureRandom());
        String hex = HexFormat.of().formatHex(token.toBytes());
        assertThat(token.toString()).startsWith(hex.substring(0, 8)).doesNotContain(hex.substring(8, 16));
    }
}
