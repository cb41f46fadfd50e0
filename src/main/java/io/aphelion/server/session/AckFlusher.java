package io.aphelion.server.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import io.aphelion.server.support.Scheduler;

/**
 * Sends the acks that waited {@code ack-delay} for an outgoing packet to ride on.
 *
 * <p>A connection whose pull found an owed ack with nothing to ride on joins a queue, once until
 * the ack is settled. A tick, every half ack-delay while the queue is not empty, wakes the sink of
 * each connection whose ack is due (its next pull sends the ack alone, unless a message takes it
 * first) and drops those whose ack already left on another packet. One timer per tick
 * instead of one per received packet: no allocation and no timer-thread wake-up per packet. When
 * nothing is owed, no tick is scheduled at all.
 *
 * <p>Thread-safe: any thread queues; ticks run on the scheduler's thread.
 */
public final class AckFlusher {

    private final Scheduler scheduler;
    private final long delayNanos;
    private final Duration period;
    private final ConcurrentLinkedQueue<ClientConnection> owing = new ConcurrentLinkedQueue<>();
    /** Whether a tick is scheduled; the one who sets it schedules. */
    private final AtomicBoolean tickScheduled = new AtomicBoolean();

    public AckFlusher(Scheduler scheduler, Duration ackDelay) {
        this.scheduler = scheduler;
        this.delayNanos = ackDelay.toNanos();
        this.period = ackDelay.dividedBy(2);
    }

    /** How long an owed ack waits for a packet to ride on ({@code ack-delay}), in nanoseconds. */
    long delayNanos() {
        return delayNanos;
    }

    /** A connection started owing an ack (called under its session's lock, at most once until settled). */
    void owe(ClientConnection connection) {
        owing.add(connection);
        scheduleTickIfNone();
    }

    private void tick() {
        long now = scheduler.nanoTime();
        List<ClientConnection> notYet = new ArrayList<>();
        ClientConnection connection;
        while ((connection = owing.poll()) != null) {
            if (!connection.flushAckIfDue(now)) {
                notYet.add(connection);
            }
        }
        owing.addAll(notYet);
        tickScheduled.set(false);
        if (!owing.isEmpty()) {
            scheduleTickIfNone();
        }
    }

    private void scheduleTickIfNone() {
        if (tickScheduled.compareAndSet(false, true)) {
            scheduler.schedule(this::tick, period);
        }
    }
}
