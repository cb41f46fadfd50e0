package io.aphelion.server.testing;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.aphelion.client.AphelionConnection;

/**
 * A client listener that records what arrives, for tests: payloads in order, acks, the close.
 * Thread-safe.
 */
public class RecordingListener implements AphelionConnection.Listener {

    private final BlockingQueue<byte[]> payloads = new LinkedBlockingQueue<>();
    private final List<byte[]> all = new ArrayList<>();
    private final AtomicInteger acked = new AtomicInteger();

    @Override
    public void onMessage(AphelionConnection connection, ByteBuffer payload) {
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        synchronized (all) {
            all.add(bytes);
        }
        payloads.add(bytes);
    }

    @Override
    public void onAcked(AphelionConnection connection, long latencyNanos) {
        acked.incrementAndGet();
    }

    /** The next payload, waiting up to {@code timeout}; fails the test when none arrives. */
    public byte[] next(Duration timeout) {
        try {
            byte[] next = payloads.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (next == null) {
                throw new AssertionError("No message within " + timeout);
            }
            return next;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }

    /** The next payload within 10 seconds. */
    public byte[] next() {
        return next(Duration.ofSeconds(10));
    }

    /** Every payload received so far, in order. */
    public List<byte[]> received() {
        synchronized (all) {
            return List.copyOf(all);
        }
    }

    /** How many of our payload packets the server has acked. */
    public int acked() {
        return acked.get();
    }
}
