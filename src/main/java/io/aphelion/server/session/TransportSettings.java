package io.aphelion.server.session;

import java.time.Duration;

/**
 * The timing and limits the transport runs with; immutable. Built from
 * {@link io.aphelion.server.config.AphelionProperties}, where the defaults live (one place).
 *
 * @param initTimeout time from upgrade to a complete init packet (4004 past it)
 * @param pingInterval interval of websocket pings
 * @param pongTimeout time to answer a ping (4103 past it)
 * @param ackDelay longest wait before an owed ack goes out alone
 * @param ackTimeout longest time a retained packet may stay unacked (4102 past it), for acking sessions
 * @param nonAckingGrace how long a session's client may receive payload packets without a single ack
 *        before it is served as non-acking
 * @param expiry how long a session outlives its last connection
 * @param maxConnections connections per session (4100 past it)
 * @param maxBufferedBytes payload bytes a session may hold unsent or unacked
 * @param maxBufferedMessages messages a session may hold unsent or unacked
 * @param rateLimit frames a connection may send: a sustained rate with a burst on top (4104 past it)
 */
public record TransportSettings(Duration initTimeout, Duration pingInterval, Duration pongTimeout,
        Duration ackDelay, Duration ackTimeout, Duration nonAckingGrace, Duration expiry, int maxConnections,
        long maxBufferedBytes, int maxBufferedMessages, RateLimit rateLimit) {

    /** The same, with no inbound rate limit (tests and tools). */
    public TransportSettings(Duration initTimeout, Duration pingInterval, Duration pongTimeout, Duration ackDelay,
            Duration ackTimeout, Duration nonAckingGrace, Duration expiry, int maxConnections, long maxBufferedBytes,
            int maxBufferedMessages) {
        this(initTimeout, pingInterval, pongTimeout, ackDelay, ackTimeout, nonAckingGrace, expiry, maxConnections,
                maxBufferedBytes, maxBufferedMessages, RateLimit.NONE);
    }

    /**
     * Frames one connection may send after its init packet (data frames and websocket pings): on
     * average {@code perSecond}, with up to {@code burst} at once on top of an idle period.
     *
     * @param perSecond sustained frames per second; 0 turns the limit off
     * @param burst frames that may arrive at once
     */
    public record RateLimit(int perSecond, int burst, long intervalNanos, long windowNanos) {

        /** No limit. */
        public static final RateLimit NONE = new RateLimit(0, 0);

        /**
         * @param intervalNanos nanoseconds one frame costs, the bucket's refill interval (0 without a limit)
         * @param windowNanos how far ahead of now the bucket may be drawn: {@code burst} intervals
         */
        public RateLimit {
            if (intervalNanos != interval(perSecond) || windowNanos != intervalNanos * burst) {
                throw new IllegalArgumentException("intervalNanos and windowNanos follow from perSecond and burst");
            }
        }

        /** A limit of {@code perSecond} frames with {@code burst} at once; the per-frame figures are worked out once, here. */
        public RateLimit(int perSecond, int burst) {
            this(perSecond, burst, interval(perSecond), interval(perSecond) * burst);
        }

        private static long interval(int perSecond) {
            return perSecond > 0 ? 1_000_000_000L / perSecond : 0;
        }

        /** Whether there is a limit at all. */
        public boolean enabled() {
            return perSecond > 0;
        }
    }
}
