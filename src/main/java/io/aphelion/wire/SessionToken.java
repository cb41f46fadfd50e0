package io.aphelion.wire;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A 32-byte session token ({@code your_session_token}). Immutable; equal by content.
 *
 * <p>{@link #toString()} shows only the first four bytes, so a token never reaches a log in full.
 */
public final class SessionToken {

    /** A token is 32 bytes ({@code u8[32]}). */
    public static final int LENGTH = 32;

    private final byte[] bytes;
    private final int hash;

    private SessionToken(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** A new random token. */
    public static SessionToken random(SecureRandom random) {
        byte[] bytes = new byte[LENGTH];
        random.nextBytes(bytes);
        return new SessionToken(bytes);
    }

    /** The token made of these 32 bytes (copied). */
    public static SessionToken of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("A session token is " + LENGTH + " bytes, not " + bytes.length);
        }
        return new SessionToken(bytes.clone());
    }

    /**
     * The token made of the 32 bytes of {@code bytes} from {@code offset} (copied).
     *
     * @throws IndexOutOfBoundsException when fewer than 32 bytes follow {@code offset}
     */
    public static SessionToken of(byte[] bytes, int offset) {
        Objects.checkFromIndexSize(offset, LENGTH, bytes.length);
        return new SessionToken(Arrays.copyOfRange(bytes, offset, offset + LENGTH));
    }

    /** A copy of the token's bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    void writeTo(byte[] target, int offset) {
        System.arraycopy(bytes, 0, target, offset, LENGTH);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SessionToken token && Arrays.equals(bytes, token.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** The first four bytes in hex and an ellipsis: enough to tell tokens apart in a log. */
    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes, 0, 4) + "…";
    }
}
