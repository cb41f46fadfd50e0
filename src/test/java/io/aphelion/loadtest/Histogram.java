package io.aphelion.loadtest;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A latency histogram in microseconds with about 0.1% relative error (log-linear buckets: exact
 * below 2048 us, then 1024 sub-buckets per power of two up to about 64 s).
 *
 * <p>Thread-safe: any event-loop thread records, the progress thread reads. {@link #reset} may race
 * with recording; a few samples at the boundary may land on either side, which is fine for a
 * load report.
 */
final class Histogram {

    private static final int LINEAR = 2048;
    private static final int SUB_BUCKETS = 1024;
    private static final int SUB_BITS = 10;
    private static final int MAX_SHIFT = 26;

    private final AtomicLongArray counts = new AtomicLongArray(LINEAR + MAX_SHIFT * SUB_BUCKETS);

    void recordNanos(long nanos) {
        record(Math.max(0, nanos / 1000));
    }

    void record(long micros) {
        counts.incrementAndGet(index(micros));
    }

    static int index(long micros) {
        if (micros < LINEAR) {
            return (int) micros;
        }
        int shift = 63 - Long.numberOfLeadingZeros(micros) - SUB_BITS;
        if (shift > MAX_SHIFT) {
            return LINEAR + MAX_SHIFT * SUB_BUCKETS - 1;
        }
        int sub = (int) (micros >>> shift) - SUB_BUCKETS;
        return LINEAR + (shift - 1) * SUB_BUCKETS + sub;
    }

    /** The lowest value (us) that falls in a bucket. */
    static long lowerBound(int index) {
        if (index < LINEAR) {
            return index;
        }
        int shift = (index - LINEAR) / SUB_BUCKETS + 1;
        int sub = (index - LINEAR) % SUB_BUCKETS + SUB_BUCKETS;
        return (long) sub << shift;
    }

    long count() {
        long total = 0;
        for (int i = 0; i < counts.length(); i++) {
            total += counts.get(i);
        }
        return total;
    }

    /** The value at a percentile (0..100) in milliseconds, or NaN when empty. */
    double percentileMillis(double percentile) {
        long[] snapshot = new long[counts.length()];
        long total = 0;
        for (int i = 0; i < snapshot.length; i++) {
            snapshot[i] = counts.get(i);
            total += snapshot[i];
        }
        if (total == 0) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(percentile / 100.0 * total);
        long seen = 0;
        for (int i = 0; i < snapshot.length; i++) {
            seen += snapshot[i];
            if (seen >= Math.max(1, rank)) {
                return lowerBound(i) / 1000.0;
            }
        }
        return lowerBound(snapshot.length - 1) / 1000.0;
    }

    void reset() {
        for (int i = 0; i < counts.length(); i++) {
            counts.set(i, 0);
        }
    }

    /** "p50=0.123 p99=0.456 p99.9=0.789 ms" */
    String summary() {
        return String.format("p50=%.3f p99=%.3f p99.9=%.3f ms (n=%d)", percentileMillis(50), percentileMillis(99),
                percentileMillis(99.9), count());
    }
}
