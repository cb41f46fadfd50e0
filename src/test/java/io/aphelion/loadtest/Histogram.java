package io.aphelion.loadtest;

import java.util.concurrent.TimeUnit;

import org.HdrHistogram.ConcurrentHistogram;

/**
 * A latency histogram of the load tools, on HdrHistogram: microseconds from 1 us to one hour with
 * three significant digits (0.1 % relative error), the way latency is measured elsewhere in the
 * field, so the tools' percentiles can be read against other tools'.
 *
 * <p>Thread-safe: any event-loop thread records, the progress thread reads and resets
 * ({@link ConcurrentHistogram} supports all three at once).
 */
final class Histogram {

    /** The largest value recorded, in microseconds; a longer one is recorded as this. */
    private static final long MAX_MICROS = TimeUnit.HOURS.toMicros(1);

    private final ConcurrentHistogram histogram = new ConcurrentHistogram(1, MAX_MICROS, 3);

    void recordNanos(long nanos) {
        record(nanos / 1000);
    }

    void record(long micros) {
        histogram.recordValue(Math.max(1, Math.min(micros, MAX_MICROS)));
    }

    long count() {
        return histogram.getTotalCount();
    }

    /** The value at a percentile (0..100) in milliseconds, or NaN when empty. */
    double percentileMillis(double percentile) {
        if (histogram.getTotalCount() == 0) {
            return Double.NaN;
        }
        return histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    void reset() {
        histogram.reset();
    }

    /** "p50=0.123 p99=0.456 p99.9=0.789 ms" */
    String summary() {
        return String.format("p50=%.3f p99=%.3f p99.9=%.3f ms (n=%d)", percentileMillis(50), percentileMillis(99),
                percentileMillis(99.9), count());
    }
}
