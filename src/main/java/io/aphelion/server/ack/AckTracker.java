package io.aphelion.server.ack;

import java.util.ArrayDeque;
import java.util.function.Consumer;

import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.ProtocolViolationException;
import io.aphelion.wire.WireFormat;

/**
 * The ack state of one connection, both ways (docs/PRODUCT.md "Frames after the handshake").
 *
 * <ul>
 * <li>Inbound: {@link #received()} counts payload-carrying packets from the peer;
 * {@link #takeAck()} hands out up to {@link WireFormat#MAX_ACK} (127) of them for the next packet we send.</li>
 * <li>Outbound: {@link #sent} records each payload packet we send; {@link #acked} consumes the
 * peer's ack, oldest first, and rejects an ack larger than what is outstanding.</li>
 * <li>Retained or not: whether a sent packet is kept until acked (so it can be sent again if the
 * connection is lost) is the session's decision, passed to {@link #sent}: acking is a property of
 * the session, not of one connection. A packet that is not retained is only counted (it counts as
 * delivered once written). When a session decides its client never acks,
 * {@link #forgetRetained} turns what is retained into counted packets. Counted packets are always
 * older than retained ones, so an ack consumes them first.</li>
 * </ul>
 *
 * <p>Not thread-safe: guarded by the owning session's lock.
 *
 * @param <T> the retained message type
 */
public final class AckTracker<T extends AckTracker.Timestamped> {

    /** A message that remembers when the packet carrying it was sent. */
    public interface Timestamped {

        void sentAtNanos(long nanos);

        long sentAtNanos();
    }

    /** Payload packets received from the peer since the last ack we sent. */
    private int receivedSinceAck;
    /** Packets sent and not retained (the session takes its client for non-acking): outstanding, counted only. */
    private int untracked;
    /**
     * Retained packets, oldest first, each stamped with the time it was sent; null until the first
     * packet is retained (most connections of a quiet session never retain one), then kept.
     */
    private ArrayDeque<T> unacked;
    /** Smoothed round-trip time in nanoseconds from acks (RFC 6298 style), or -1 before the first sample. */
    private long smoothedRttNanos = -1;

    /** Counts one payload-carrying packet from the peer. */
    public void received() {
        receivedSinceAck++;
    }

    /** Whether an ack is owed to the peer. */
    public boolean ackPending() {
        return receivedSinceAck > 0;
    }

    /** Takes the ack for the next outgoing packet: at most {@link WireFormat#MAX_ACK}; the rest waits for the next packet. */
    public int takeAck() {
        int ack = Math.min(receivedSinceAck, WireFormat.MAX_ACK);
        receivedSinceAck -= ack;
        return ack;
    }

    /**
     * Records a payload packet handed to the socket.
     *
     * @param retain whether to keep the message until acked; otherwise it counts as delivered now
     * @return {@code retain}
     */
    public boolean sent(T message, long nowNanos, boolean retain) {
        if (!retain) {
            untracked++;
            return false;
        }
        message.sentAtNanos(nowNanos);
        if (unacked == null) {
            unacked = new ArrayDeque<>();
        }
        unacked.addLast(message);
        return true;
    }

    /**
     * Stops retaining: every retained message counts as delivered (handed to {@code released},
     * oldest first) and stays outstanding as a counted packet, so the peer's later acks still add up.
     */
    public void forgetRetained(Consumer<T> released) {
        if (unacked == null) {
            return;
        }
        untracked += unacked.size();
        for (T message; (message = unacked.pollFirst()) != null; ) {
            released.accept(message);
        }
    }

    /**
     * Applies an ack from the peer.
     *
     * @param ack the unsigned ack byte
     * @param nowNanos the current time, for the round-trip sample
     * @param released receives each retained message the ack covers, oldest first
     * @return the round-trip time in nanoseconds of the newest packet this ack covers, or -1 when none was retained
     * @throws ProtocolViolationException {@link CloseCodes#PROTOCOL_ERROR} when the ack exceeds the outstanding packets
     */
    public long acked(int ack, long nowNanos, Consumer<T> released) {
        if (ack == 0) {
            return -1;
        }
        if (ack > outstanding()) {
            throw new ProtocolViolationException(CloseCodes.PROTOCOL_ERROR,
                    "Ack " + ack + " exceeds the " + outstanding() + " unacked packets");
        }
        int fromUntracked = Math.min(ack, untracked);
        untracked -= fromUntracked;
        long newest = NONE;
        for (int i = fromUntracked; i < ack; i++) {
            T message = unacked.removeFirst();
            newest = message.sentAtNanos();
            released.accept(message);
        }
        if (newest == NONE) {
            return -1;
        }
        long rtt = Math.max(0, nowNanos - newest);
        smoothedRttNanos = smoothedRttNanos < 0 ? rtt : (7 * smoothedRttNanos + rtt) / 8;
        return rtt;
    }

    /** Packets sent on this connection and not acked yet, retained or not. */
    public int outstanding() {
        return untracked + retained();
    }

    /** Packets retained until acked (what routing weighs). */
    public int retained() {
        return unacked == null ? 0 : unacked.size();
    }

    /** {@link #oldestSentAtNanos()} when nothing is retained: no clock reading is ever this low. */
    public static final long NONE = Long.MIN_VALUE;

    /** When the oldest retained packet was sent, or {@link #NONE} when nothing is retained (clock readings may be negative). */
    public long oldestSentAtNanos() {
        T oldest = unacked == null ? null : unacked.peekFirst();
        return oldest == null ? NONE : oldest.sentAtNanos();
    }

    /** Removes and returns every retained message, oldest first (the connection is gone). */
    public ArrayDeque<T> drain() {
        ArrayDeque<T> drained = unacked == null ? new ArrayDeque<>(0) : new ArrayDeque<>(unacked);
        unacked = null;
        untracked = 0;
        return drained;
    }

    /** Smoothed round-trip time in nanoseconds, or -1 before the first ack of a retained packet. */
    public long smoothedRttNanos() {
        return smoothedRttNanos;
    }
}
