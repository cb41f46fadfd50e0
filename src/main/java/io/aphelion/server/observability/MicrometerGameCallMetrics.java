package io.aphelion.server.observability;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.aphelion.server.observability.GameCallMetrics.Method;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * {@link GameCallMetrics} as the Micrometer timer {@value #NAME}, tagged {@code method} (the
 * {@code GameMessageService} method's name) and {@code outcome} ({@code success}, or {@code error}
 * when the call threw). In Prometheus: {@code aphelion_game_calls_seconds_bucket}, {@code _count},
 * {@code _sum} and {@code _max}.
 *
 * <p>Histogram buckets are the fixed {@link #BUCKETS} rather than Micrometer's percentile
 * histogram: twelve series of about sixty buckets each would cost more than the latency they
 * show. Every timer is registered up front, so dashboards see zeros rather than gaps, and a call
 * looks up nothing.
 *
 * <p>Thread-safe: Micrometer timers are, and the table is never modified after construction.
 */
public final class MicrometerGameCallMetrics implements GameCallMetrics {

    /** The timer's name. */
    public static final String NAME = "aphelion.game.calls";

    /** Outcome tag of a call that returned. */
    static final String SUCCESS = "success";

    /** Outcome tag of a call that threw. */
    static final String ERROR = "error";

    /**
     * Bucket bounds: from a quick in-memory call (100 us) to one that should never happen on a game
     * thread (5 s); a game's p99 above 50 ms delays its sessions noticeably.
     */
    static final Duration[] BUCKETS = { Duration.ofNanos(100_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5) };

    /** Timers by method ordinal, then 0 success, 1 error. */
    private final Timer[][] timers = new Timer[Method.values().length][2];

    public MicrometerGameCallMetrics(MeterRegistry registry) {
        for (Method method : Method.values()) {
            timers[method.ordinal()][0] = timer(registry, method, SUCCESS);
            timers[method.ordinal()][1] = timer(registry, method, ERROR);
        }
    }

    private static Timer timer(MeterRegistry registry, Method method, String outcome) {
        return Timer.builder(NAME)
                .tag("method", method.tag())
                .tag("outcome", outcome)
                .description("Calls of the application's GameMessageService, by method and outcome")
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    @Override
    public void called(Method method, long nanos, boolean failed) {
        timers[method.ordinal()][failed ? 1 : 0].record(nanos, TimeUnit.NANOSECONDS);
    }
}
