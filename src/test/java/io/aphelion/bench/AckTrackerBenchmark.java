package io.aphelion.bench;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.aphelion.server.ack.AckTracker;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link AckTracker}, the per-packet ack path of a connection: one request-response exchange
 * (count a received packet, take the owed ack for the answer, record the answer as sent, apply the
 * peer's ack), for a peer that acks (messages retained until acked, {@code batch} per ack) and
 * one that never acks (nothing retained).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AckTrackerBenchmark {

    /** Packets covered by one ack from the peer. */
    @Param({ "1", "16" })
    int batch;

    private AckTracker<Message> acking;
    private AckTracker<Message> nonAcking;
    private Message[] messages;
    private long now;
    private final Consumer<Message> released = message -> { };

    @Setup
    public void setUp() {
        acking = new AckTracker<>();
        nonAcking = new AckTracker<>();
        messages = new Message[batch];
        for (int i = 0; i < batch; i++) {
            messages[i] = new Message();
        }
    }

    @Benchmark
    public long exchangeAcking() {
        long rtt = 0;
        for (Message message : messages) {
            acking.received();
            rtt += acking.takeAck();
            acking.sent(message, ++now, true);
        }
        return rtt + acking.acked(batch, ++now, released);
    }

    @Benchmark
    public long exchangeNonAcking() {
        long total = 0;
        for (Message message : messages) {
            nonAcking.received();
            total += nonAcking.takeAck();
            nonAcking.sent(message, ++now, false);
        }
        return total + nonAcking.outstanding();
    }

    static final class Message implements AckTracker.Timestamped {

        private long sentAt;

        @Override
        public void sentAtNanos(long nanos) {
            sentAt = nanos;
        }

        @Override
        public long sentAtNanos() {
            return sentAt;
        }
    }
}
