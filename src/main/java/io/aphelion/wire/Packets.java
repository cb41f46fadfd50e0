package io.aphelion.wire;

import java.nio.ByteBuffer;

/**
 * Framing of {@code ProtobufPacket}: one unsigned ack byte, then the protobuf payload (possibly empty).
 * Pure helpers; no state.
 */
public final class Packets {

    private Packets() {
    }

    /**
     * Builds one packet.
     *
     * @param ack the ack count, 0..{@link WireFormat#MAX_ACK}
     * @param payload the serialized message; empty for an ack-only packet
     */
    public static ByteBuffer encode(int ack, byte[] payload) {
        if (ack < 0 || ack > WireFormat.MAX_ACK) {
            throw new IllegalArgumentException("ack must be 0.." + WireFormat.MAX_ACK + ", got " + ack);
        }
        byte[] frame = new byte[WireFormat.ACK_LENGTH + payload.length];
        frame[0] = (byte) ack;
        System.arraycopy(payload, 0, frame, WireFormat.ACK_LENGTH, payload.length);
        return ByteBuffer.wrap(frame);
    }

    /**
     * Reads the ack byte of a received packet, unsigned.
     *
     * @throws ProtocolViolationException with {@link CloseCodes#PROTOCOL_ERROR} for an empty frame
     */
    public static int ack(ByteBuffer frame) {
        if (!frame.hasRemaining()) {
            throw new ProtocolViolationException(CloseCodes.PROTOCOL_ERROR, "Empty frame: a packet has at least its ack byte");
        }
        return frame.get(frame.position()) & 0xFF;
    }

    /**
     * The payload of a received packet: a view of the frame after the ack byte (empty for ack-only).
     *
     * @throws ProtocolViolationException with {@link CloseCodes#PROTOCOL_ERROR} for an empty frame,
     *         as {@link #ack} does (it has no ack byte to skip)
     */
    public static ByteBuffer payload(ByteBuffer frame) {
        if (!frame.hasRemaining()) {
            throw new ProtocolViolationException(CloseCodes.PROTOCOL_ERROR, "Empty frame: a packet has at least its ack byte");
        }
        return frame.slice(frame.position() + WireFormat.ACK_LENGTH, frame.remaining() - WireFormat.ACK_LENGTH);
    }
}
