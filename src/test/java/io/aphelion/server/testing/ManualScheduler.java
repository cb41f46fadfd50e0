package io.aphelion.server.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.aphelion.server.support.Scheduler;

/**
 * A {@link Scheduler} whose time moves only when a test calls {@link #advance}: timeouts and
 * expiry are tested at {@code limit - 1} and {@code limit} without sleeping. Tasks run on the
 * calling thread. Thread-safe.
 */
public final class ManualScheduler implements Scheduler {

    private long now = 1_000_000_000L;
    private long sequence;
    private long ran;
    private final List<Task> tasks = new ArrayList<>();

    private final class Task implements Cancellable {
        final Runnable runnable;
        final long period;
        final long order = sequence++;
        long due;
        boolean cancelled;

        Task(Runnable runnable, long due, long period) {
            this.runnable = runnable;
            this.due = due;
            this.period = period;
        }

        @Override
        public void cancel() {
            synchronized (ManualScheduler.this) {
                cancelled = true;
                tasks.remove(this);
            }
        }
    }

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public synchronized Cancellable schedule(Runnable task, Duration delay) {
        Task scheduled = new Task(task, now + delay.toNanos(), 0);
        tasks.add(scheduled);
        return scheduled;
    }

    @Override
    public synchronized Cancellable scheduleAtFixedRate(Runnable task, Duration period) {
        Task scheduled = new Task(task, now + period.toNanos(), period.toNanos());
        tasks.add(scheduled);
        return scheduled;
    }

    /** Moves time forward, running every task that falls due, in time order. */
    public void advance(Duration duration) {
        long target;
        synchronized (this) {
            target = now + duration.toNanos();
        }
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.stream()
                        .filter(task -> task.due <= target)
                        .min(Comparator.<Task>comparingLong(task -> task.due).thenComparingLong(task -> task.order))
                        .orElse(null);
                if (next == null) {
                    now = target;
                    return;
                }
                now = Math.max(now, next.due);
                if (next.period > 0) {
                    next.due += next.period;
                }
                else {
                    tasks.remove(next);
                }
                ran++;
            }
            next.runnable.run();
        }
    }

    /** Tasks waiting. */
    public synchronized int pending() {
        return tasks.size();
    }

    /** Tasks run so far (each run of a periodic task counts): the wake-ups a real timer thread would have. */
    public synchronized long ran() {
        return ran;
    }
}
