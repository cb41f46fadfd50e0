package io.aphelion.client;

/** The server refused the init packet (or the websocket closed before the reply). */
public class AphelionHandshakeException extends RuntimeException {

    private final int closeCode;

    public AphelionHandshakeException(int closeCode, String reason) {
        super("Handshake refused with " + closeCode + ": " + reason);
        this.closeCode = closeCode;
    }

    /** The close code the server answered with (4000-4004, or 4100 for a full session), or 1006 when the socket just dropped. */
    public int closeCode() {
        return closeCode;
    }
}
