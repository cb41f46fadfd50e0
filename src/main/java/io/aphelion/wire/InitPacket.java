package io.aphelion.wire;

import java.nio.ByteBuffer;

/**
 * {@code C2SInitPacket}: the first binary frame a client sends (39 bytes, big endian).
 *
 * @param protocol the {@code aphelion_protocol} (1 ping, 2 game), an i16
 * @param version the {@code protocol_version}; 0 bypasses the version check
 * @param token the session token to join or resume, or {@code null} when {@code has_session_token} is 0
 */
public record InitPacket(int protocol, int version, SessionToken token) {

    /** A packet that asks for a new session. */
    public static InitPacket newSession(int protocol, int version) {
        return new InitPacket(protocol, version, null);
    }

    /**
     * Decodes a whole frame as an init packet.
     *
     * @throws ProtocolViolationException with {@link CloseCodes#MALFORMED_INIT} unless the frame is exactly 39 bytes
     */
    public static InitPacket decode(ByteBuffer frame) {
        if (frame.remaining() != WireFormat.C2S_INIT_LENGTH) {
            throw new ProtocolViolationException(CloseCodes.MALFORMED_INIT,
                    "Init packet must be " + WireFormat.C2S_INIT_LENGTH + " bytes, got " + frame.remaining());
        }
        int start = frame.position();
        int protocol = frame.getShort(start + WireFormat.INIT_PROTOCOL_OFFSET);
        int version = frame.getInt(start + WireFormat.INIT_VERSION_OFFSET);
        boolean hasToken = frame.get(start + WireFormat.INIT_HAS_TOKEN_OFFSET) != 0;
        SessionToken token = null;
        if (hasToken) {
            byte[] bytes = new byte[SessionToken.LENGTH];
            frame.get(start + WireFormat.INIT_TOKEN_OFFSET, bytes);
            token = SessionToken.of(bytes);
        }
        return new InitPacket(protocol, version, token);
    }

    /** The 39 bytes of this packet; a missing token is written as zeros. */
    public byte[] encode() {
        byte[] bytes = new byte[WireFormat.C2S_INIT_LENGTH];
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        buffer.putShort(WireFormat.INIT_PROTOCOL_OFFSET, (short) protocol);
        buffer.putInt(WireFormat.INIT_VERSION_OFFSET, version);
        if (token != null) {
            bytes[WireFormat.INIT_HAS_TOKEN_OFFSET] = 1;
            token.writeTo(bytes, WireFormat.INIT_TOKEN_OFFSET);
        }
        return bytes;
    }

    /** Decodes {@code S2CInitPacket}: exactly 32 bytes, the session token. */
    public static SessionToken decodeReply(ByteBuffer frame) {
        if (frame.remaining() != WireFormat.S2C_INIT_LENGTH) {
            throw new ProtocolViolationException(CloseCodes.MALFORMED_INIT,
                    "Init reply must be " + WireFormat.S2C_INIT_LENGTH + " bytes, got " + frame.remaining());
        }
        byte[] bytes = new byte[SessionToken.LENGTH];
        frame.get(frame.position(), bytes);
        return SessionToken.of(bytes);
    }

    /** Encodes {@code S2CInitPacket} for a token. */
    public static byte[] encodeReply(SessionToken token) {
        return token.toBytes();
    }
}
