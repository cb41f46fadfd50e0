package io.aphelion.wire;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InitPacketTest {

    private static final String TOKEN = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    private static ByteBuffer hex(String hex) {
        return ByteBuffer.wrap(HexFormat.of().parseHex(hex.replace(" ", "")));
    }

    @Test
    void decodesBigEndianFieldsWithoutToken() {
        InitPacket packet = InitPacket.decode(hex("0002 00000005 00" + "00".repeat(32)));
        assertThat(packet.protocol()).isEqualTo(2);
        assertThat(packet.version()).isEqualTo(5);
        assertThat(packet.token()).isNull();
    }

    @Test
    void decodesToken() {
        InitPacket packet = InitPacket.decode(hex("0001 00000000 01" + TOKEN));
        assertThat(packet.token()).isEqualTo(SessionToken.of(HexFormat.of().parseHex(TOKEN)));
    }

    @Test
    void anyNonZeroHasTokenByteMeansTrue() {
        assertThat(InitPacket.decode(hex("0001 00000001 ff" + TOKEN)).token()).isNotNull();
        assertThat(InitPacket.decode(hex("0001 00000001 80" + TOKEN)).token()).isNotNull();
    }

    @Test
    void tokenIsIgnoredWhenHasTokenIsZero() {
        assertThat(InitPacket.decode(hex("0001 00000001 00" + TOKEN)).token()).isNull();
    }

    @Test
    void protocolAndVersionAreSigned() {
        InitPacket packet = InitPacket.decode(hex("ffff ffffffff 00" + "00".repeat(32)));
        assertThat(packet.protocol()).isEqualTo(-1);
        assertThat(packet.version()).isEqualTo(-1);
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 1, 38, 40, 100 })
    void anyLengthButThirtyNineIsMalformed(int length) {
        assertThatThrownBy(() -> InitPacket.decode(ByteBuffer.allocate(length)))
                .isInstanceOfSatisfying(ProtocolViolationException.class,
                        ex -> assertThat(ex.closeCode()).isEqualTo(CloseCodes.MALFORMED_INIT))
                .hasMessageContaining("39 bytes, got " + length);
    }

    @Test
    void encodesExactBytes() {
        SessionToken token = SessionToken.of(HexFormat.of().parseHex(TOKEN));
        assertThat(HexFormat.of().formatHex(new InitPacket(2, 7, token).encode()))
                .isEqualTo("0002" + "00000007" + "01" + TOKEN);
        assertThat(HexFormat.of().formatHex(InitPacket.newSession(1, 0).encode()))
                .isEqualTo("0001" + "00000000" + "00" + "00".repeat(32));
    }

    @Test
    void replyIsTheThirtyTwoTokenBytes() {
        SessionToken token = SessionToken.of(HexFormat.of().parseHex(TOKEN));
        assertThat(InitPacket.encodeReply(token)).hasSize(32);
        assertThat(InitPacket.decodeReply(ByteBuffer.wrap(InitPacket.encodeReply(token)))).isEqualTo(token);
        assertThatThrownBy(() -> InitPacket.decodeReply(ByteBuffer.allocate(31)))
                .isInstanceOf(ProtocolViolationException.class);
    }
}
