package io.aphelion.server.support;

import java.time.Duration;

/**
 * The one source of time and timers for the transport: init timeouts, ack delays, keepalive
 * pings, ack timeouts and session expiry all go through it. Production uses
 * {@link SystemScheduler}; tests use a manual implementation and move time by hand.
 *
 * <p>Implementations are thread-safe. Tasks must be short: they run on the scheduler's thread.
 */
public interface Scheduler {

    /** The current time of a monotonic clock, in nanoseconds (as {@link System#nanoTime()}). */
    long nanoTime();

    /** Runs a task once after a delay. */
    Cancellable schedule(Runnable task, Duration delay);

    /** Runs a task every {@code period}, the first time after one period. */
    Cancellable scheduleAtFixedRate(Runnable task, Duration period);

    /** A scheduled task that can be cancelled; cancelling twice, or after it ran, is harmless. */
    interface Cancellable {

        /** A handle for no task at all. */
        Cancellable NONE = () -> { };

        void cancel();
    }
}
