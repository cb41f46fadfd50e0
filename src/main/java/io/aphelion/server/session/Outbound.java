package io.aphelion.server.session;

import java.util.Comparator;

import io.aphelion.server.ack.AckTracker;

/**
 * One outgoing message of a session: its serialized payload and how it is delivered.
 *
 * <p>Not thread-safe: owned by its session and guarded by the session's lock. The payload array
 * is never modified, so one array may be shared by many sessions (a broadcast serializes once).
 */
public final class Outbound implements AckTracker.Timestamped {

    final byte[] payload;
    final boolean reliable;
    /**
     * Its place among its session's messages (set under the session's lock as it is queued): what
     * is sent again after a lost connection goes out in this order, whichever connections the
     * messages were routed to.
     */
    long sequence;

    /** By {@link #sequence}: the order the session queued them in. */
    static final Comparator<Outbound> IN_SESSION_ORDER = Comparator.comparingLong(message -> message.sequence);
    /** When the packet carrying it was handed to the socket ({@link io.aphelion.server.support.Scheduler#nanoTime()}); 0 before. */
    private long sentAtNanos;

    Outbound(byte[] payload, boolean reliable) {
        this.payload = payload;
        this.reliable = reliable;
    }

    /** Bytes this message holds in its session's send buffer. */
    int size() {
        return payload.length;
    }

    @Override
    public void sentAtNanos(long nanos) {
        sentAtNanos = nanos;
    }

    @Override
    public long sentAtNanos() {
        return sentAtNanos;
    }
}
