package io.aphelion.server.session;

import io.aphelion.wire.CloseCodes;

/**
 * Why a session ended. Each has the close code its remaining connections are closed with.
 */
public enum SessionEndReason {

    /** Its last connection closed and no connection resumed it within {@code aphelion.session.expiry}. */
    EXPIRED(CloseCodes.NORMAL),

    /**
     * The client left: it closed the session's last connection itself with 1000 (normal closure,
     * "the purpose has been fulfilled"). A drop, 1001 or any other code keeps the session until expiry.
     */
    CLOSED_BY_CLIENT(CloseCodes.NORMAL),

    /** The application (or the server for it) closed the session. */
    CLOSED_BY_SERVER(CloseCodes.NORMAL),

    /** Its send buffer overflowed with reliable messages: the client could not keep up. */
    SEND_BUFFER_OVERFLOW(CloseCodes.SEND_BUFFER_OVERFLOW),

    /** The server is shutting down. */
    SHUTDOWN(CloseCodes.GOING_AWAY);

    private final int closeCode;

    SessionEndReason(int closeCode) {
        this.closeCode = closeCode;
    }

    /** The close code the session's connections get. */
    public int closeCode() {
        return closeCode;
    }
}
