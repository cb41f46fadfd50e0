package io.aphelion.server.testing;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import io.aphelion.server.session.FrameSink;

/**
 * A {@link FrameSink} that records frames. Writes complete at once unless {@link #stall()} was
 * called; then they wait until {@link #completeWrites()}. Thread-safe.
 */
public final class FakeSink implements FrameSink {

    private final List<byte[]> frames = new ArrayList<>();
    private final List<WriteCallback> stalled = new ArrayList<>();
    private boolean stall;
    private int pings;
    private byte[] lastPing;
    private int closeCode;
    private String closeReason;

    @Override
    public void sendBinary(ByteBuffer frame, WriteCallback callback) {
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        boolean complete;
        synchronized (this) {
            frames.add(bytes);
            complete = !stall;
            if (!complete) {
                stalled.add(callback);
            }
        }
        if (complete) {
            callback.succeeded();
        }
    }

    @Override
    public synchronized void sendPing(ByteBuffer payload) {
        pings++;
        lastPing = new byte[payload.remaining()];
        payload.duplicate().get(lastPing);
    }

    /** The payload of the last ping sent (what a pong must echo), or null before any. */
    public synchronized ByteBuffer lastPing() {
        return lastPing == null ? null : ByteBuffer.wrap(lastPing);
    }

    @Override
    public synchronized void close(int code, String reason) {
        if (closeCode == 0) {
            closeCode = code;
            closeReason = reason;
        }
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return new InetSocketAddress("127.0.0.1", 40000);
    }

    /** From now on, writes wait for {@link #completeWrites()} (a client that reads nothing). */
    public synchronized void stall() {
        stall = true;
    }

    /** Completes the waiting writes and stops stalling. */
    public void completeWrites() {
        List<WriteCallback> waiting;
        synchronized (this) {
            stall = false;
            waiting = new ArrayList<>(stalled);
            stalled.clear();
        }
        waiting.forEach(WriteCallback::succeeded);
    }

    public synchronized List<byte[]> frames() {
        return List.copyOf(frames);
    }

    public synchronized int pings() {
        return pings;
    }

    /** The close code sent, or 0. */
    public synchronized int closeCode() {
        return closeCode;
    }

    public synchronized String closeReason() {
        return closeReason;
    }
}
