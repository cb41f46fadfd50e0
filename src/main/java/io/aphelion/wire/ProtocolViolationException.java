package io.aphelion.wire;

/**
 * A peer broke a rule of the transport. Carries the close code to answer with; the message is
 * the close reason (kept short: a close reason is at most 123 bytes of UTF-8).
 *
 * <p>Thrown wherever a violation is found and turned into a websocket close in one place.
 */
public class ProtocolViolationException extends RuntimeException {

    private final int closeCode;

    public ProtocolViolationException(int closeCode, String reason) {
        super(reason, null, false, false);
        this.closeCode = closeCode;
    }

    /** The websocket close code for this violation, from {@link CloseCodes}. */
    public int closeCode() {
        return closeCode;
    }
}
