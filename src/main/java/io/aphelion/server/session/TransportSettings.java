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
 */
public record TransportSettings(Duration initTimeout, Duration pingInterval, Duration pongTimeout,
        Duration ackDelay, Duration ackTimeout, Duration nonAckingGrace, Duration expiry, int maxConnections,
        long maxBufferedBytes, int maxBufferedMessages) {
}
