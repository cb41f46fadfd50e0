package io.aphelion.wire;

/**
 * The sizes and identifiers of the Aphelion websocket transport ({@code websocket-transport.txt}).
 *
 * <pre>
 * C2SInitPacket (39 bytes, big endian)       S2CInitPacket (32 bytes)
 * +-----+---------+---+------------------+   +------------------------+
 * | i16 |   i32   |i8 |     u8[32]       |   |        u8[32]          |
 * |proto| version |has|  session_token   |   |   your_session_token   |
 * +-----+---------+---+------------------+   +------------------------+
 *
 * ProtobufPacket (&gt;= 1 byte, one binary websocket frame)
 * +-----+--------------------------------------------+
 * | u8  | protobuf message (C2S or S2C), may be empty |
 * | ack |                                            |
 * +-----+--------------------------------------------+
 * </pre>
 */
public final class WireFormat {

    /** Length of {@code C2SInitPacket}: i16 protocol + i32 version + i8 has_token + u8[32] token. */
    public static final int C2S_INIT_LENGTH = 2 + 4 + 1 + SessionToken.LENGTH;

    /** Length of {@code S2CInitPacket}: the session token alone. */
    public static final int S2C_INIT_LENGTH = SessionToken.LENGTH;

    /** Offset of the protocol id in {@code C2SInitPacket}. */
    static final int INIT_PROTOCOL_OFFSET = 0;

    /** Offset of the protocol version in {@code C2SInitPacket}. */
    static final int INIT_VERSION_OFFSET = 2;

    /** Offset of the has-token flag in {@code C2SInitPacket}. */
    static final int INIT_HAS_TOKEN_OFFSET = 6;

    /** Offset of the session token in {@code C2SInitPacket}. */
    static final int INIT_TOKEN_OFFSET = 7;

    /** Length of the ack field that starts every {@code ProtobufPacket}. */
    public static final int ACK_LENGTH = 1;

    /**
     * The largest ack one packet carries: 127, although the field is a u8, because the original
     * 2015 client reads it as a signed byte (docs/PRODUCT.md "Frames after the handshake"). Larger counts
     * span several packets. Received acks are read unsigned, 0..255.
     */
    public static final int MAX_ACK = 127;

    /** Protocol version 0 in the init packet: "bypass version check". */
    public static final int VERSION_BYPASS = 0;

    /** Protocol id 1: ping (protobuf), lag measurement. Served by the server itself. */
    public static final int PROTOCOL_PING = 1;

    /** Protocol id 2: game (protobuf). Served by the application's {@code GameMessageService}. */
    public static final int PROTOCOL_GAME = 2;

    private WireFormat() {
    }
}
