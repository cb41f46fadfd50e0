package io.aphelion.server.session;

/** How a message is delivered (docs/PRODUCT.md "Sessions"). */
public enum Delivery {

    /**
     * Sent again, in order, on another connection of the session (or the one that resumes it)
     * when the connection it went out on is lost before the client acked it. At least once.
     */
    RELIABLE,

    /** Never sent again, and the first to be dropped when the client is slow. At most once. */
    VOLATILE
}
