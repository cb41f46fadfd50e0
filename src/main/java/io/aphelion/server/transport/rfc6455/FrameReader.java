package io.aphelion.server.transport.rfc6455;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import io.aphelion.wire.CloseCodes;

import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.B0_FIN;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.B0_OPCODE;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.B0_RSV;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.B1_LENGTH;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.B1_MASK;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.LENGTH_16;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.LENGTH_64;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.MAX_CONTROL_PAYLOAD;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.OPCODE_BINARY;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.OPCODE_CLOSE;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.OPCODE_CONTINUATION;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.OPCODE_CONTROL_BIT;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.OPCODE_PING;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.OPCODE_PONG;
import static io.aphelion.server.transport.rfc6455.WebSocketProtocol.OPCODE_TEXT;

/**
 * Reads the frames a client sends (RFC 6455 5), incrementally, from whatever bytes arrived: an
 * explicit state machine that needs no thread and no socket, so every malformed case is tested
 * with exact bytes.
 *
 * <p>{@link #read} consumes complete frames and leaves an incomplete header (or an incomplete
 * control frame, at most 139 bytes) at the buffer's position for the caller to keep until more
 * bytes arrive. A binary message whose single frame arrived whole is unmasked in place and handed
 * over as a view of the caller's buffer (no copy); a message that is fragmented or spans reads is
 * gathered into one array, bounded by the maximum message size.
 *
 * <p>Lengths are checked from the header alone, before any payload byte is read: a binary
 * message whose frames would take it past the maximum fails with 1009 (compared as the room left,
 * never as a sum, so no declared length can overflow the check); a 64-bit length with its most
 * significant bit set, or a length not in its shortest encoding, fails with 1002 (RFC 6455 5.2).
 *
 * <p>Every violation goes through {@link #fail}: the handler hears {@link Handler#onViolation}
 * once with the close code, and the reader stops (a failed websocket reads nothing more). A close
 * frame stops it as well. Text messages are reported once, at their first frame, and their bytes
 * are skipped: the transport is binary only and closes on the first one.
 *
 * <p>Not thread-safe: one reading thread at a time, as a socket has.
 */
public final class FrameReader {

    /** What the reader finds, called on the reading thread. */
    public interface Handler {

        /** A complete binary message; the buffer is valid only during the call. */
        void onBinary(ByteBuffer message);

        /** The first frame of a text message (its content is not read). */
        void onText();

        /** A ping; the payload is valid only during the call. */
        void onPing(ByteBuffer payload);

        /** A pong; the payload is valid only during the call. */
        void onPong(ByteBuffer payload);

        /** A close frame: its code ({@link CloseCodes#NO_STATUS} when it had none) and reason. */
        void onCloseFrame(int code, String reason);

        /** The client broke the protocol: the websocket must be closed with this code. */
        void onViolation(int closeCode, String reason);

        /**
         * The header of one piece of a message sent in several frames (a first fragment or a
         * continuation, zero-length ones included), for a per-frame rate limit: the message itself
         * is reported once whole. A whole message in one frame reports only {@link #onBinary}.
         */
        default void onFragment() {
        }
    }

    /** Header bytes before the payload: 2, then 0/2/8 bytes of extended length, then the 4-byte mask. */
    private static final int MASK_LENGTH = 4;
    /** The largest length a 16-bit extended length carries; a 64-bit one must be larger (RFC 6455 5.2). */
    private static final long MAX_LENGTH_16 = 0xFFFF;
    /** RFC 6455 5.2: "the minimal number of bytes MUST be used to encode the length". */
    private static final String NOT_SHORTEST = "Frame length not in its shortest encoding";

    private final Handler handler;
    private final int maxMessageSize;

    /** True after a close frame or a violation: everything after it is discarded. */
    private boolean stopped;
    /** The opcode of a fragmented message in progress (text or binary), or 0 when none. */
    private int messageOpcode;
    /** The message gathered so far when it is fragmented or spans reads; null otherwise. */
    private byte[] gathered;
    /** Bytes used in {@link #gathered}. */
    private int gatheredLength;

    // A data frame whose payload is still arriving (payloadRemaining > 0).
    /** Payload bytes of the current frame not read yet; 0 between frames. */
    private long payloadRemaining;
    /** The current frame's masking key, big-endian. */
    private int mask;
    /** How many payload bytes of the current frame were unmasked so far (the mask rotates). */
    private long payloadOffset;
    /** Whether the current frame ends its message. */
    private boolean payloadFinal;

    /**
     * @param handler told of each message and violation
     * @param maxMessageSize the largest binary message accepted, in bytes; larger ones fail with 1009
     */
    public FrameReader(Handler handler, int maxMessageSize) {
        if (maxMessageSize < 0) {
            throw new IllegalArgumentException("maxMessageSize must be >= 0, got " + maxMessageSize);
        }
        this.handler = handler;
        this.maxMessageSize = maxMessageSize;
    }

    /**
     * Reads every complete frame in the buffer (from its position to its limit), calling the
     * handler for each. Returns with the position after the last byte consumed: anything left is
     * an incomplete frame header or control frame, to be offered again with more bytes after it.
     * After a close frame or a violation everything is consumed and ignored.
     *
     * @param buffer in network (big-endian) byte order, {@code ByteBuffer}'s default
     */
    public void read(ByteBuffer buffer) {
        boolean progress = true;
        while (progress && !stopped) {
            progress = payloadRemaining > 0 ? readPayload(buffer) : readFrame(buffer);
        }
        if (stopped) {
            buffer.position(buffer.limit());
        }
    }

    /** Whether a close frame or a violation ended reading. */
    public boolean isStopped() {
        return stopped;
    }

    /** Reads one frame starting at the position; false when its header (or control frame) is incomplete. */
    private boolean readFrame(ByteBuffer buffer) {
        int start = buffer.position();
        if (buffer.remaining() < 2) {
            return false;
        }
        int b0 = buffer.get(start) & 0xFF;
        int b1 = buffer.get(start + 1) & 0xFF;
        boolean fin = (b0 & B0_FIN) != 0;
        int opcode = b0 & B0_OPCODE;
        int length7 = b1 & B1_LENGTH;
        if ((b0 & B0_RSV) != 0) {
            return fail(CloseCodes.PROTOCOL_ERROR, "RSV bits set, but no extension was negotiated");
        }
        if ((b1 & B1_MASK) == 0) {
            return fail(CloseCodes.PROTOCOL_ERROR, "Client frames must be masked");
        }
        boolean control = (opcode & OPCODE_CONTROL_BIT) != 0;
        if (control) {
            if (opcode != OPCODE_CLOSE && opcode != OPCODE_PING && opcode != OPCODE_PONG) {
                return fail(CloseCodes.PROTOCOL_ERROR, "Unknown opcode " + opcode);
            }
            if (!fin) {
                return fail(CloseCodes.PROTOCOL_ERROR, "Fragmented control frame");
            }
            if (length7 > MAX_CONTROL_PAYLOAD) {
                return fail(CloseCodes.PROTOCOL_ERROR, "Control frame payload over " + MAX_CONTROL_PAYLOAD + " bytes");
            }
        }
        else if (opcode == OPCODE_CONTINUATION) {
            if (messageOpcode == 0) {
                return fail(CloseCodes.PROTOCOL_ERROR, "Continuation frame without a message to continue");
            }
        }
        else if (opcode == OPCODE_TEXT || opcode == OPCODE_BINARY) {
            if (messageOpcode != 0) {
                return fail(CloseCodes.PROTOCOL_ERROR, "New message before the fragmented one ended");
            }
        }
        else {
            return fail(CloseCodes.PROTOCOL_ERROR, "Unknown opcode " + opcode);
        }

        int extended = length7 == LENGTH_16 ? 2 : length7 == LENGTH_64 ? 8 : 0;
        int headerLength = 2 + extended + MASK_LENGTH;
        if (buffer.remaining() < headerLength) {
            return false;
        }
        long length = length7;
        if (length7 == LENGTH_16) {
            length = buffer.getShort(start + 2) & 0xFFFF;
            if (length < LENGTH_16) {
                return fail(CloseCodes.PROTOCOL_ERROR, NOT_SHORTEST);
            }
        }
        else if (length7 == LENGTH_64) {
            length = buffer.getLong(start + 2);
            if (length < 0) {
                return fail(CloseCodes.PROTOCOL_ERROR, "Frame length has its most significant bit set");
            }
            if (length <= MAX_LENGTH_16) {
                return fail(CloseCodes.PROTOCOL_ERROR, NOT_SHORTEST);
            }
        }
        int frameMask = buffer.getInt(start + 2 + extended);

        if (control) {
            if (buffer.remaining() < headerLength + length) {
                return false;
            }
            int payloadStart = start + headerLength;
            unmask(buffer, payloadStart, (int) length, frameMask, 0);
            buffer.position(payloadStart + (int) length);
            return onControl(opcode, buffer.slice(payloadStart, (int) length));
        }

        boolean text = opcode == OPCODE_TEXT || (opcode == OPCODE_CONTINUATION && messageOpcode == OPCODE_TEXT);
        if (opcode == OPCODE_TEXT) {
            handler.onText();
        }
        else if (!text) {
            // Room left in the message, never a sum: 0 <= gatheredLength <= maxMessageSize, so this
            // cannot overflow, whereas gatheredLength + length can for a length near 2^63.
            int gatheredSoFar = opcode == OPCODE_CONTINUATION ? gatheredLength : 0;
            if (length > maxMessageSize - gatheredSoFar) {
                return fail(CloseCodes.MESSAGE_TOO_BIG, "Message over the maximum of " + maxMessageSize + " bytes");
            }
            int total = gatheredSoFar + (int) length;
            if (fin && opcode == OPCODE_BINARY && buffer.remaining() - headerLength >= length) {
                // The common case: a whole message in one frame, all of it here. No copy.
                int payloadStart = start + headerLength;
                unmask(buffer, payloadStart, (int) length, frameMask, 0);
                buffer.position(payloadStart + (int) length);
                handler.onBinary(buffer.slice(payloadStart, (int) length));
                return true;
            }
            if (opcode == OPCODE_BINARY) {
                gathered = new byte[fin ? (int) length : (int) Math.min(maxMessageSize, Math.max(length, 256))];
                gatheredLength = 0;
            }
            else {
                ensureGathered(total);
            }
        }
        if (opcode != OPCODE_CONTINUATION) {
            messageOpcode = opcode;
        }
        handler.onFragment();
        buffer.position(start + headerLength);
        mask = frameMask;
        payloadOffset = 0;
        payloadFinal = fin;
        payloadRemaining = length;
        if (length == 0) {
            frameEnded();
        }
        return true;
    }

    /** Consumes what is here of the current data frame's payload; false when more must arrive. */
    private boolean readPayload(ByteBuffer buffer) {
        int available = (int) Math.min(buffer.remaining(), payloadRemaining);
        if (available == 0) {
            return false;
        }
        int from = buffer.position();
        if (messageOpcode == OPCODE_BINARY) {
            unmask(buffer, from, available, mask, payloadOffset);
            buffer.get(from, gathered, gatheredLength, available);
            gatheredLength += available;
        }
        buffer.position(from + available);
        payloadOffset += available;
        payloadRemaining -= available;
        if (payloadRemaining == 0) {
            frameEnded();
        }
        return true;
    }

    private void frameEnded() {
        if (!payloadFinal) {
            return;
        }
        int opcode = messageOpcode;
        byte[] message = gathered;
        int length = gatheredLength;
        messageOpcode = 0;
        gathered = null;
        gatheredLength = 0;
        if (opcode == OPCODE_BINARY) {
            handler.onBinary(ByteBuffer.wrap(message, 0, length));
        }
    }

    private void ensureGathered(int needed) {
        if (gathered.length >= needed) {
            return;
        }
        int grown = (int) Math.min(maxMessageSize, Math.max(needed, 2L * gathered.length));
        byte[] larger = new byte[grown];
        System.arraycopy(gathered, 0, larger, 0, gatheredLength);
        gathered = larger;
    }

    private boolean onControl(int opcode, ByteBuffer payload) {
        switch (opcode) {
            case OPCODE_PING -> handler.onPing(payload);
            case OPCODE_PONG -> handler.onPong(payload);
            default -> {
                return onCloseFrame(payload);
            }
        }
        return true;
    }

    private boolean onCloseFrame(ByteBuffer payload) {
        if (payload.remaining() == 1) {
            return fail(CloseCodes.PROTOCOL_ERROR, "Close frame with a 1-byte payload");
        }
        int code = CloseCodes.NO_STATUS;
        String reason = "";
        if (payload.remaining() >= 2) {
            code = payload.getShort() & 0xFFFF;
            if (!WebSocketProtocol.isValidCloseCode(code)) {
                return fail(CloseCodes.PROTOCOL_ERROR, "Invalid close code " + code);
            }
            try {
                reason = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(payload).toString();
            }
            catch (CharacterCodingException ex) {
                return fail(CloseCodes.INVALID_PAYLOAD, "Close reason is not valid UTF-8");
            }
        }
        stopped = true;
        handler.onCloseFrame(code, reason);
        return false;
    }

    /** The one path for violations: stop reading and tell the handler which close code to send. */
    private boolean fail(int closeCode, String reason) {
        stopped = true;
        gathered = null;
        handler.onViolation(closeCode, reason);
        return false;
    }

    /**
     * XORs {@code length} bytes at {@code from} with the mask, in place, as payload bytes starting at
     * {@code offset} of their frame (the key rotates every 4 bytes, RFC 6455 5.3).
     */
    static void unmask(ByteBuffer buffer, int from, int length, int mask, long offset) {
        if (mask == 0 || length == 0) {
            return;
        }
        int shift = (int) (offset & 3);
        int rotated = shift == 0 ? mask : Integer.rotateLeft(mask, 8 * shift);
        int i = from;
        int end = from + length;
        long wide = (rotated & 0xFFFFFFFFL) | ((long) rotated << 32);
        if (buffer.order() == java.nio.ByteOrder.BIG_ENDIAN) {
            for (; i + 8 <= end; i += 8) {
                buffer.putLong(i, buffer.getLong(i) ^ wide);
            }
        }
        for (int k = 0; i < end; i++, k++) {
            int keyByte = rotated >>> (8 * (3 - (k & 3)));
            buffer.put(i, (byte) (buffer.get(i) ^ keyByte));
        }
    }
}
