package io.aphelion.server.session;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.aphelion.server.support.Scheduler;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keepalive of every open connection in one timing wheel: a websocket ping every
 * {@code ping-interval} while the previous one was answered, and a close with 4103 when no pong
 * with the ping's payload came within {@code pong-timeout} (docs/PRODUCT.md, "Frames after the handshake").
 *
 * <p><b>One timer for all connections.</b> The wheel is a ring of slots, one per tick. A
 * connection waits in the slot of its next deadline (its next ping, or its pong timeout when that
 * comes first), linked through a field of its own ({@link ClientConnection#keepaliveNext}): no
 * node, no timer task and no lambda per connection, and no allocation per ping (the payload goes
 * through one buffer, which the sink copies). One scheduler timer sweeps the slot whose time has
 * come: it pings, closes, or moves each connection found there to the slot of its next deadline,
 * so a sweep costs the connections that are due, not all of them. The timer is set for the next
 * tick whose slot holds a connection, so it wakes at most once per tick and never for an empty
 * slot; while no connection is in the wheel, no timer is scheduled at all. (A connection that
 * registers meanwhile waits among the arrivals until then: its first deadline, a ping interval
 * away, is never earlier than the earliest deadline in the wheel, each of which is at most a ping
 * interval away.)
 *
 * <p><b>Precision.</b> Deadlines are rounded up to the next tick: a ping leaves between
 * {@code ping-interval} and {@code ping-interval} + one tick after the previous ping (or after the
 * init packet), and a 4103 comes within one tick after the pong timeout. The tick is 1 s, or a
 * sixteenth of the shorter of the two settings when that is less ({@link #tickFor}): a ping
 * interval of 20 s becomes 20 to 21 s.
 *
 * <p><b>Closed connections</b> are not unlinked when they close (that would make every closing
 * thread take a lock the sweep holds); the sweep drops one the next time it visits its slot, at
 * the deadline it waits for: within one turn of the wheel. The timer stops at the tick that drops
 * the last one.
 *
 * <p>Threads: {@link #register} runs on any thread (the one that accepted the init packet) and only
 * pushes the connection onto {@link #arrivals}, a lock-free stack through the same link field, whose
 * CAS publishes the connection's wheel fields to the sweep. Everything else (the slots, the
 * connections' {@code keepaliveNext} and {@code nextPingNanos}, the payload buffer) belongs to the
 * sweep, which runs on the scheduler's thread, one tick at a time: each tick schedules the next,
 * or, once the wheel is empty, clears {@link #tickScheduled} and the next {@code register} to set
 * it schedules one (that flag's write and compare-and-set order the two ticks' memory).
 * What the sweep shares with other threads is the connection's {@code state} and
 * {@code pingSentNanos}; see {@link ClientConnection}.
 */
public final class Keepalive {

    private static final Logger log = LoggerFactory.getLogger(Keepalive.class);

    /** The coarsest tick: a second of lateness is nothing next to a proxy's idle timeout of a minute. */
    static final Duration MAX_TICK = Duration.ofSeconds(1);

    /** Ticks in the shorter of ping interval and pong timeout, at least: the lateness stays under 1/16 of either. */
    static final int TICKS_PER_TIMEOUT = 16;

    /** Most slots: past this many ticks ahead, a connection waits more than one turn in its slot. */
    static final int MAX_SLOTS = 4096;

    /** What {@link #visit} returns for a connection that leaves the wheel. */
    private static final long DROP = -1;

    private final Scheduler scheduler;
    private final long pingIntervalNanos;
    private final long pongTimeoutNanos;
    private final long pongTimeoutMillis;
    private final long tickNanos;
    /** Time of tick 0. */
    private final long originNanos;
    private final Runnable onTick = this::onTick;

    /** Registered connections not yet in a slot, newest first, linked through {@code keepaliveNext}. */
    private final AtomicReference<ClientConnection> arrivals = new AtomicReference<>();
    /** Whether a tick is scheduled; the one who sets it schedules. */
    private final AtomicBoolean tickScheduled = new AtomicBoolean();

    // The sweep's, on the scheduler's thread.
    /** Heads of the slots' lists; tick {@code t} is slot {@code t & mask}. */
    private final ClientConnection[] slots;
    private final int mask;
    /** The last tick swept; below tick 0 before the first. */
    private long sweptTick = -1;
    /** Connections in the slots. */
    private int size;
    /** The ping payload: 8 bytes, big endian, the ping's time. Refilled for each ping; the sink copies it. */
    private final ByteBuffer payload = ByteBuffer.allocate(Long.BYTES);

    public Keepalive(Scheduler scheduler, Duration pingInterval, Duration pongTimeout) {
        this.scheduler = scheduler;
        this.pingIntervalNanos = pingInterval.toNanos();
        this.pongTimeoutNanos = pongTimeout.toNanos();
        this.pongTimeoutMillis = pongTimeout.toMillis();
        this.tickNanos = tickFor(pingInterval, pongTimeout).toNanos();
        this.originNanos = scheduler.nanoTime();
        long span = Math.max(pingIntervalNanos, pongTimeoutNanos) / tickNanos + 2; // every deadline, rounded up
        int slotCount = Integer.highestOneBit((int) Math.min(MAX_SLOTS, span) - 1) << 1;
        this.slots = new ClientConnection[slotCount];
        this.mask = slotCount - 1;
    }

    /** The tick for these settings: {@link #MAX_TICK}, or 1/{@value #TICKS_PER_TIMEOUT} of the shorter one when that is less. */
    public static Duration tickFor(Duration pingInterval, Duration pongTimeout) {
        Duration shorter = pingInterval.compareTo(pongTimeout) <= 0 ? pingInterval : pongTimeout;
        Duration tick = shorter.dividedBy(TICKS_PER_TIMEOUT);
        if (tick.isZero()) {
            return Duration.ofNanos(1);
        }
        return tick.compareTo(MAX_TICK) < 0 ? tick : MAX_TICK;
    }

    /** The tick this keepalive runs on. */
    public Duration tick() {
        return Duration.ofNanos(tickNanos);
    }

    /**
     * Adds a connection that just became open: its first ping is due {@code ping-interval} from
     * now. Called once per connection, from any thread; starts the timer if none runs.
     */
    void register(ClientConnection connection) {
        connection.nextPingNanos = scheduler.nanoTime() + pingIntervalNanos;
        ClientConnection head;
        do {
            head = arrivals.get();
            connection.keepaliveNext = head;
        }
        while (!arrivals.compareAndSet(head, connection));
        if (tickScheduled.compareAndSet(false, true)) {
            scheduleAt(tickAt(scheduler.nanoTime()) + 1);
        }
    }

    /** Connections in the wheel as of the last tick, closed ones not yet dropped included. The sweep's thread only (tests). */
    int size() {
        return size;
    }

    private void onTick() {
        long now = scheduler.nanoTime();
        try {
            sweep(now);
        }
        finally {
            if (size > 0) {
                scheduleAt(nextOccupiedTick());
            }
            else {
                tickScheduled.set(false);
                // A connection registered after the sweep took the arrivals saw the flag still set.
                if (arrivals.get() != null && tickScheduled.compareAndSet(false, true)) {
                    scheduleAt(tickAt(scheduler.nanoTime()) + 1);
                }
            }
        }
    }

    /** The first tick after the last one swept whose slot holds a connection (within one turn: the wheel is not empty). */
    private long nextOccupiedTick() {
        for (long t = sweptTick + 1; t <= sweptTick + slots.length; t++) {
            if (slots[(int) (t & mask)] != null) {
                return t;
            }
        }
        return sweptTick + 1;
    }

    /** Schedules the next sweep at the start of {@code tick} (at once if that has passed). */
    private void scheduleAt(long tick) {
        long delay = originNanos + tick * tickNanos - scheduler.nanoTime();
        scheduler.schedule(onTick, Duration.ofNanos(Math.max(0, delay)));
    }

    private void sweep(long now) {
        long current = tickAt(now);
        for (ClientConnection arrived = arrivals.getAndSet(null); arrived != null; ) {
            ClientConnection next = arrived.keepaliveNext;
            // Due already only if the sweep came late: then in this sweep.
            place(arrived, Math.max(current, tickOf(arrived.nextPingNanos)));
            size++;
            arrived = next;
        }
        // Every tick since the last sweep (late after a pause), but each slot once.
        for (long t = Math.max(sweptTick + 1, current - mask); t <= current; t++) {
            int slot = (int) (t & mask);
            ClientConnection connection = slots[slot];
            slots[slot] = null;
            while (connection != null) {
                ClientConnection next = connection.keepaliveNext;
                connection.keepaliveNext = null;
                long due = visitGuarded(connection, now);
                if (due == DROP) {
                    size--;
                }
                else {
                    place(connection, due); // always after the current tick: visit returns a deadline after now
                }
                connection = next;
            }
        }
        sweptTick = current;
    }

    private void place(ClientConnection connection, long tick) {
        int slot = (int) (tick & mask);
        connection.keepaliveNext = slots[slot];
        slots[slot] = connection;
    }

    private long visitGuarded(ClientConnection connection, long now) {
        try {
            return visit(connection, now);
        }
        catch (RuntimeException ex) {
            // A sink that throws must not take the other connections of the slot out of the wheel.
            log.error("Keepalive failed for a connection from {}", connection.remoteAddress(), ex);
            return connection.isOpen() ? tickOf(now + pingIntervalNanos) : DROP;
        }
    }

    /**
     * A connection's slot came round: closes it if its ping went unanswered past the pong timeout,
     * pings if its next ping is due and the previous one was answered (an unanswered one skips
     * the ping, as its timeout runs), and returns the tick of its next deadline, or {@link #DROP}.
     * A pong may clear {@code pingSentNanos} at any moment on the reading thread; read once, a
     * stale non-zero value only keeps the connection for one more deadline, and only the sweep
     * sets it non-zero (when it was zero), so the pong never clears a newer ping.
     */
    private long visit(ClientConnection connection, long now) {
        if (!connection.isOpen()) {
            return DROP;
        }
        long sent = connection.pingSentNanos();
        if (sent != 0 && now - sent >= pongTimeoutNanos) {
            connection.pongTimedOut(pongTimeoutMillis);
            return DROP;
        }
        long nextPing = connection.nextPingNanos;
        if (now - nextPing >= 0) {
            if (sent == 0) {
                sent = now == 0 ? 1 : now; // 0 means "no ping outstanding"
                payload.putLong(0, sent);
                connection.ping(sent, payload);
                nextPing = now + pingIntervalNanos;
            }
            else {
                do {
                    nextPing += pingIntervalNanos;
                }
                while (now - nextPing >= 0);
            }
            connection.nextPingNanos = nextPing;
        }
        long deadline = sent == 0 || nextPing - (sent + pongTimeoutNanos) < 0 ? nextPing : sent + pongTimeoutNanos;
        return tickOf(deadline);
    }

    /** The tick {@code nanos} falls in. */
    private long tickAt(long nanos) {
        return Math.floorDiv(nanos - originNanos, tickNanos);
    }

    /** The first tick that starts at or after {@code nanos}: a deadline's. */
    private long tickOf(long nanos) {
        return -Math.floorDiv(originNanos - nanos, tickNanos);
    }
}
