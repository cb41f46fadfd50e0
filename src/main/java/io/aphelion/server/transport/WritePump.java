package io.aphelion.server.transport;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.aphelion.server.support.Scheduler;

import org.eclipse.jetty.util.Callback;

/**
 * The write loop of one socket, shared by both engines: at most one write in flight, and when
 * the socket can take bytes, the next write is gathered from what waits (the connection's pull,
 * plus the engine's control frames). A {@link #wake} while a write is in flight is remembered, so
 * the write's completion gathers again; the thread that finds the writer idle writes, so no
 * thread ever waits for a slow client. A write that completes inside {@link Output#write} is
 * continued by the same loop, never by recursion.
 *
 * <p><b>Send-time limit:</b> a write that has not completed {@code sendTimeLimit} after it
 * started (the client takes no bytes) makes the socket fail ({@link Output#sendTimedOut}). Only
 * writes that did not complete at once arm the timer, so a client that reads costs no timer.
 *
 * <p>Thread-safe: {@link #wake} from any thread; the {@link Output} methods run on the thread that
 * holds the writer, one at a time. Its monitor guards {@link #busy} and {@link #wanted}, and the
 * engine may use it for the control frames it gathers.
 *
 * @param <B> the engine's buffer type
 */
public final class WritePump<B> {

    /** What the pump writes through: one engine's socket. */
    public interface Output<B> {

        /** Gathers the next write, or null when nothing waits. Writer thread only. */
        B gather();

        /** Starts writing {@code buffer}; {@code done} completes exactly once, possibly before this returns. */
        void write(B buffer, Done done);

        /**
         * A write completed: gives its buffer back.
         *
         * @return false when nothing more may be written (the close frame went out)
         */
        boolean written(B buffer);

        /** A write failed: gives its buffer back and closes the socket. */
        void failed(B buffer, Throwable cause);

        /** A write made no progress within the send-time limit: closes the socket. */
        void sendTimedOut(Duration limit);
    }

    /**
     * Completion of one write, handed to {@link Output#write}: a Jetty callback itself, so the
     * native engine passes it to its socket as it is, with no object per write.
     */
    public abstract static class Done extends AtomicInteger implements Callback {

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING;
        }
    }

    private final Output<B> output;
    private final Scheduler timers;
    private final Duration sendTimeLimit;

    /** The one write in flight at a time, reused for each write (no object per write). */
    private final Write write = new Write();

    /** A thread holds the writer: gathering, or a write in flight. Guarded by this. */
    private boolean busy;
    /** A wake came while busy: gather again before letting the writer go. Guarded by this. */
    private boolean wanted;
    /** A write failed or nothing more may be written: the writer is never let go again. Guarded by this. */
    private boolean stopped;

    /**
     * @param sendTimeLimit longest time a write may take; zero or negative for no limit
     */
    public WritePump(Output<B> output, Scheduler timers, Duration sendTimeLimit) {
        this.output = output;
        this.timers = timers;
        this.sendTimeLimit = sendTimeLimit;
    }

    /** Something may wait to be written: writes now if the writer is idle, else after the write in flight. */
    public void wake() {
        synchronized (this) {
            if (busy) {
                wanted = !stopped;
                return;
            }
            busy = true;
        }
        run();
    }

    /** Stops writing for good (the socket closed); a write in flight still completes or fails. */
    public void stop() {
        synchronized (this) {
            stopped = true;
            wanted = false;
        }
    }

    /** Writes until nothing waits or a write is left in flight. The caller holds the writer. */
    private void run() {
        while (true) {
            B buffer = nextOrRelease();
            if (buffer == null) {
                return;
            }
            long sequence = write.start(buffer);
            output.write(buffer, write);
            int outcome = write.returned();
            if (outcome == Write.PENDING) {
                write.armDeadline(sequence);
                return; // its completion goes on from there
            }
            if (outcome == Write.FAILED || !write.afterSuccess()) {
                return;
            }
        }
    }

    /** The next write, or null after letting the writer go (nothing waits). */
    private B nextOrRelease() {
        while (true) {
            synchronized (this) {
                wanted = false;
                if (stopped) {
                    return null; // the writer stays taken: nothing more is written
                }
            }
            B buffer = output.gather();
            if (buffer != null) {
                return buffer;
            }
            synchronized (this) {
                if (!wanted || stopped) {
                    busy = stopped;
                    return null;
                }
            }
        }
    }

    /**
     * The write in flight: whether it completes inside {@link Output#write} or later decides who
     * continues the loop. One object serves every write of the socket, since a write starts only
     * once the previous one completed; {@link #sequence} tells a send-time timer which write it was
     * armed for.
     */
    private final class Write extends Done {

        static final int PENDING = 0;
        static final int RETURNED = 1;
        static final int COMPLETED = 2;
        static final int FAILED = 3;

        /** The buffer of the write in flight; set by the writer before the write starts. */
        private B buffer;
        /** Counts the writes started; a timer armed for an earlier one does nothing. */
        private volatile long sequence;
        private volatile Scheduler.Cancellable deadline = Scheduler.Cancellable.NONE;

        /** Starts the next write (the previous one completed): returns its sequence number. */
        long start(B next) {
            buffer = next;
            set(PENDING);
            return ++sequence; // the writer alone increments it
        }

        @Override
        public void succeeded() {
            if (!compareAndSet(PENDING, COMPLETED)) {
                // Completed after write returned: this thread holds the writer now.
                set(COMPLETED);
                deadline.cancel();
                if (afterSuccess()) {
                    run();
                }
            }
        }

        @Override
        public void failed(Throwable cause) {
            set(FAILED);
            deadline.cancel();
            stop();
            output.failed(buffer, cause);
        }

        /**
         * Called once write returned: {@link #PENDING} when the write goes on (its completion
         * continues the loop), else {@link #COMPLETED} or {@link #FAILED}, which happened inside it.
         */
        int returned() {
            return compareAndSet(PENDING, RETURNED) ? PENDING : get();
        }

        /** Arms the send-time limit for write {@code armedFor}, which did not complete inside the write call. */
        void armDeadline(long armedFor) {
            if (sendTimeLimit.isZero() || sendTimeLimit.isNegative()) {
                return;
            }
            Scheduler.Cancellable armed = timers.schedule(() -> {
                if (sequence == armedFor && get() == RETURNED) {
                    output.sendTimedOut(sendTimeLimit);
                }
            }, sendTimeLimit);
            deadline = armed;
            if (sequence != armedFor || get() != RETURNED) {
                armed.cancel(); // completed while the timer was being armed
            }
        }

        /** @return whether the loop goes on */
        boolean afterSuccess() {
            if (output.written(buffer)) {
                return true;
            }
            stop();
            return false;
        }
    }
}
