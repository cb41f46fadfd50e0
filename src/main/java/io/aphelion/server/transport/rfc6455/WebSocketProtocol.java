package io.aphelion.server.transport.rfc6455;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * RFC 6455 numbers and pure helpers: opcodes, the frame header, close payloads, the opening handshake's
 * accept key. No state; thread-safe.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-------+-+-------------+-------------------------------+
 *  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *  | |1|2|3|       |K|             |                               |
 *  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *  |     Extended payload length continued, if payload len == 127  |
 *  + - - - - - - - - - - - - - - - +-------------------------------+
 *  |                               |Masking-key, if MASK set to 1  |
 *  +-------------------------------+-------------------------------+
 *  | Masking-key (continued)       |          Payload Data         |
 *  +-------------------------------- - - - - - - - - - - - - - - - +
 * </pre>
 *
 * Clients mask every frame; the server never masks (RFC 6455 5.1).
 */
public final class WebSocketProtocol {

    /** Byte 0: the final fragment of a message. */
    static final int B0_FIN = 0x80;
    /** Byte 0: RSV1-3, only set by negotiated extensions (none are negotiated here). */
    static final int B0_RSV = 0x70;
    /** Byte 0: the opcode. */
    static final int B0_OPCODE = 0x0F;
    /** Byte 1: the payload is masked. */
    static final int B1_MASK = 0x80;
    /** Byte 1: the 7-bit payload length, or one of the two markers below. */
    static final int B1_LENGTH = 0x7F;
    /** A 7-bit length of 126: a 16-bit length follows. */
    static final int LENGTH_16 = 126;
    /** A 7-bit length of 127: a 64-bit length follows. */
    static final int LENGTH_64 = 127;

    public static final int OPCODE_CONTINUATION = 0x0;
    public static final int OPCODE_TEXT = 0x1;
    public static final int OPCODE_BINARY = 0x2;
    public static final int OPCODE_CLOSE = 0x8;
    public static final int OPCODE_PING = 0x9;
    public static final int OPCODE_PONG = 0xA;
    /** Control opcodes have the high bit of the opcode set. */
    static final int OPCODE_CONTROL_BIT = 0x8;

    /** Control frames carry at most 125 bytes and are never fragmented (RFC 6455 5.5). */
    public static final int MAX_CONTROL_PAYLOAD = 125;
    /** A close reason is at most 123 bytes of UTF-8: the control payload minus the 2-byte code. */
    public static final int MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2;
    /** The longest server frame header: 2 bytes, then a 64-bit length; no mask. */
    public static final int MAX_SERVER_HEADER = 10;

    /** The only version this server speaks ({@code Sec-WebSocket-Version}). */
    public static final String VERSION = "13";
    /** Appended to the client's key before hashing (RFC 6455 1.3). */
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    /** A key is 16 random bytes, base64: 24 characters. */
    private static final int KEY_BYTES = 16;

    private WebSocketProtocol() {
    }

    /** The header length of an unmasked (server) frame carrying {@code payloadLength} bytes. */
    public static int serverHeaderLength(long payloadLength) {
        if (payloadLength < LENGTH_16) {
            return 2;
        }
        return payloadLength <= 0xFFFF ? 4 : MAX_SERVER_HEADER;
    }

    /** Writes the header of a final, unmasked frame at the buffer's position. */
    public static void putServerHeader(ByteBuffer buffer, int opcode, long payloadLength) {
        buffer.put((byte) (B0_FIN | opcode));
        if (payloadLength < LENGTH_16) {
            buffer.put((byte) payloadLength);
        }
        else if (payloadLength <= 0xFFFF) {
            buffer.put((byte) LENGTH_16);
            buffer.putShort((short) payloadLength);
        }
        else {
            buffer.put((byte) LENGTH_64);
            buffer.putLong(payloadLength);
        }
    }

    /**
     * The payload of a close frame: the code, then the reason in UTF-8, cut to
     * {@link #MAX_CLOSE_REASON_BYTES} on a character boundary.
     */
    public static byte[] closePayload(int code, String reason) {
        byte[] utf8 = truncateReason(reason).getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + utf8.length];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(utf8, 0, payload, 2, utf8.length);
        return payload;
    }

    /** The reason cut to at most {@link #MAX_CLOSE_REASON_BYTES} bytes of UTF-8, never inside a character. */
    public static String truncateReason(String reason) {
        if (reason == null) {
            return "";
        }
        int bytes = 0;
        for (int i = 0; i < reason.length(); i++) {
            char c = reason.charAt(i);
            int size;
            if (Character.isHighSurrogate(c) && i + 1 < reason.length() && Character.isLowSurrogate(reason.charAt(i + 1))) {
                size = 4;
            }
            else {
                size = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
            if (bytes + size > MAX_CLOSE_REASON_BYTES) {
                return reason.substring(0, i);
            }
            bytes += size;
            if (size == 4) {
                i++;
            }
        }
        return reason;
    }

    /**
     * Whether a peer may send this code in a close frame (RFC 6455 7.4): 1000-1003, 1007-1014, and
     * the registered and private ranges 3000-4999. 1004-1006 and 1015 are reserved and never sent.
     */
    public static boolean isValidCloseCode(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    /** Whether {@code key} is a valid {@code Sec-WebSocket-Key}: base64 of 16 bytes. */
    public static boolean isValidKey(String key) {
        if (key == null) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key.trim()).length == KEY_BYTES;
        }
        catch (IllegalArgumentException ex) {
            return false;
        }
    }

    /**
     * SHA-1, never updated itself: each {@link #acceptKey} works on a clone, which copies a few
     * words, where {@link MessageDigest#getInstance} looks the provider up and constructs one
     * reflectively on every upgrade.
     */
    private static final MessageDigest SHA1 = sha1();

    /** The {@code Sec-WebSocket-Accept} answer to a key: base64(SHA-1(key + GUID)). */
    public static String acceptKey(String key) {
        MessageDigest sha1;
        try {
            sha1 = (MessageDigest) SHA1.clone();
        }
        catch (CloneNotSupportedException ex) {
            sha1 = sha1();
        }
        byte[] digest = sha1.digest((key.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
        return Base64.getEncoder().encodeToString(digest);
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("Every Java platform has SHA-1", ex);
        }
    }
}
