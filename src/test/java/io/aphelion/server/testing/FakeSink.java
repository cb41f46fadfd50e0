package io.aphelion.server.testing;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import io.aphelion.server.session.FrameSink;

/**
 * A {@link FrameSink} that records frames, each as its own write. Its socket takes every write
 * at once unless {@link #stall()} was called; then one more write is taken and never completes,
 * and nothing more is pulled until {@link #completeWrites()} (a client that reads nothing: frames
 * wait in the connection). Thread-safe.
 */
public final class FakeSink implements FrameSink {

    private final List<byte[]> frames = new ArrayList<>();
    private Source source;
    private boolean stall;
    /** While stalled: the one write that was taken and does not complete. */
    private boolean stuckWrite;
    private int pings;
    private byte[] lastPing;
    private int closeCode;
    private String closeReason;

    @Override
    public synchronized void bind(Source source) {
        this.source = source;
    }

    @Override
    public synchronized void wake() {
        if (source == null || (stall && stuckWrite)) {
            return;
        }
        // One frame per pull, as a socket that writes each frame alone; pulls until nothing waits.
        int before;
        do {
            before = frames.size();
            source.pull(new FrameSink.Writer() {
                private boolean used;

                @Override
                public boolean fits(int length) {
                    return !used;
                }

                @Override
                public void binary(int ack, byte[] payload) {
                    used = true;
                    byte[] frame = new byte[payload.length + (ack == NO_ACK ? 0 : 1)];
                    if (ack != NO_ACK) {
                        frame[0] = (byte) ack;
                    }
                    System.arraycopy(payload, 0, frame, frame.length - payload.length, payload.length);
                    frames.add(frame);
                }
            });
            if (stall && frames.size() > before) {
                stuckWrite = true; // taken into a write the client never reads
                return;
            }
        } while (frames.size() > before);
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

    /** From now on, nothing is pulled until {@link #completeWrites()} (a client that reads nothing). */
    public synchronized void stall() {
        stall = true;
    }

    /** Stops stalling and writes everything that waits. */
    public void completeWrites() {
        synchronized (this) {
            stall = false;
            stuckWrite = false;
        }
        wake();
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
