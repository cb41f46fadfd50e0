package io.aphelion.loadtest;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and histograms shared by every connection of one run. Thread-safe: connections record
 * from their event loops; the runner reads and resets between phases.
 */
final class LoadStats {

    /** Close code recorded when a connection ends without a close frame (RFC 6455: abnormal closure). */
    static final int ABNORMAL_CLOSURE = 1006;

    final LongAdder connectsStarted = new LongAdder();
    final LongAdder open = new LongAdder();
    final LongAdder requestsSent = new LongAdder();
    final LongAdder roundTrips = new LongAdder();
    final LongAdder packetsAcked = new LongAdder();
    final LongAdder ackOnlySent = new LongAdder();
    final Histogram handshakeLatency = new Histogram();
    /** Resumes answered with another token than the one presented (a new session: the measurement is wrong). */
    final LongAdder tokenMismatches = new LongAdder();
    /**
     * Payload packets that reached the kept session connections ({@code --session-connection keep})
     * instead of the measured ones: answers the server routed to the other connection of the session.
     */
    final LongAdder keptConnectionPackets = new LongAdder();
    /** Handshakes completed, counted exactly (the last third of a burst is timed from it). */
    private final AtomicLong handshakes = new AtomicLong();
    /** The handshake count that starts the last third of the burst; set before connecting. */
    volatile long lastThirdFrom = Long.MAX_VALUE;
    /** The count of a whole burst; set before connecting. */
    volatile long burst = Long.MAX_VALUE;
    /** When handshake {@link #lastThirdFrom} and the last one completed; 0 until then. */
    volatile long lastThirdStartNanos;
    volatile long burstEndNanos;
    final Histogram rtt = new Histogram();
    final Histogram ackLatency = new Histogram();
    /** Closes the tool did not ask for, by close code (1006 when the socket just went away). */
    final ConcurrentHashMap<Integer, LongAdder> closeCodes = new ConcurrentHashMap<>();
    /** Failures that are not closes (connect refused, bad handshake reply, protocol errors), by kind. */
    final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();

    /** Handshakes completed so far. */
    long handshakes() {
        return handshakes.get();
    }

    /** A handshake completed now: counts it and marks the start of the burst's last third and its end. */
    void handshakeCompleted(long nowNanos) {
        long count = handshakes.incrementAndGet();
        if (count == lastThirdFrom) {
            lastThirdStartNanos = nowNanos;
        }
        if (count == burst) {
            burstEndNanos = nowNanos;
        }
    }

    /**
     * Handshakes per second over the last third of the burst, when the whole burst opened: the rate
     * once client and server are past their start (JIT, class loading); NaN otherwise.
     */
    double lastThirdHandshakesPerSecond() {
        long start = lastThirdStartNanos;
        long end = burstEndNanos;
        if (start == 0 || end <= start) {
            return Double.NaN;
        }
        return (burst - lastThirdFrom) / ((end - start) / 1e9);
    }

    void closed(int code) {
        closeCodes.computeIfAbsent(code, c -> new LongAdder()).increment();
    }

    void error(String kind) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Starts a measurement window: message counters and message histograms back to zero. */
    void resetMessageWindow() {
        requestsSent.reset();
        roundTrips.reset();
        packetsAcked.reset();
        ackOnlySent.reset();
        rtt.reset();
        ackLatency.reset();
    }

    static Map<String, Long> snapshot(Map<?, LongAdder> map) {
        TreeMap<String, Long> copy = new TreeMap<>();
        map.forEach((key, value) -> copy.put(String.valueOf(key), value.sum()));
        return copy;
    }
}
