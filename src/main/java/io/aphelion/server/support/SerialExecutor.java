package io.aphelion.server.support;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: each session gets one, so a
 * session's events and messages are handled in order while sessions run in parallel.
 *
 * <p>Fair: a session with a long backlog gives its pool thread up every {@value #BATCH} tasks.
 *
 * <p>Thread-safe. Bounded: {@link #execute} refuses a task (returns false) when {@code limit}
 * tasks are already waiting, so a flood of work for one session cannot grow memory.
 * A task that throws is logged; later tasks still run.
 *
 * <p><b>A full pool.</b> The pool's queue holds at most one drain per executor with work, and may
 * itself be bounded: when it refuses the drain, nothing is lost, the tasks stay here (still within
 * {@code limit}) and the drain is offered again every {@link #RETRY_DELAY} until the pool takes it.
 */
public final class SerialExecutor {

    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    /** Tasks one drain runs before it lets other sessions have the thread. */
    static final int BATCH = 32;

    /** How long a drain the pool refused waits before it is offered again. */
    public static final Duration RETRY_DELAY = Duration.ofMillis(10);

    private static final VarHandle PENDING;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(SerialExecutor.class, "pending", int.class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Executor pool;
    private final Scheduler retries;
    private final int limit;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /**
     * Tasks queued or running; the submitter that moves it from 0 schedules the drain. Changed
     * through {@link #PENDING} (a field, not an atomic object of its own per session).
     */
    private volatile int pending;
    /** {@link #drain} as a task for the pool, made once instead of at every wake-up. */
    private final Runnable drainTask = this::drain;

    /**
     * @param retries where a drain the pool refused (its queue full) waits to be offered again
     */
    public SerialExecutor(Executor pool, int limit, Scheduler retries) {
        this.pool = pool;
        this.limit = limit;
        this.retries = retries;
    }

    /** Whether no task is queued or running now. */
    public boolean idle() {
        return pending == 0;
    }

    /**
     * Queues a task.
     *
     * @return false, with the task not queued, when {@code limit} tasks are already waiting
     */
    public boolean execute(Runnable task) {
        return submit(task, false, false);
    }

    /**
     * Queues a task and, when nothing of this executor is queued or running, runs it (and whatever
     * queues behind it meanwhile, up to {@value #BATCH} tasks) on the calling thread: no hand-off to
     * the pool. Order and one-at-a-time hold as for {@link #execute}: behind a queued or running
     * task, the task waits its turn on the pool. For callers whose tasks never block.
     *
     * @return false, with the task not queued, when {@code limit} tasks are already waiting
     */
    public boolean executeHere(Runnable task) {
        return submit(task, false, true);
    }

    /** Queues a task even past the limit: for the few lifecycle events that must never be lost. */
    public void executeAlways(Runnable task) {
        submit(task, true, false);
    }

    /**
     * @param always queue even past the limit
     * @param here when nothing is queued or running, drain on the calling thread instead of the pool
     */
    private boolean submit(Runnable task, boolean always, boolean here) {
        if (!always && pending >= limit) {
            return false;
        }
        tasks.add(task);
        if ((int) PENDING.getAndAdd(this, 1) == 0) {
            if (here) {
                drain();
            }
            else {
                schedule();
            }
        }
        return true;
    }

    /** Hands the drain to the pool; when its queue is full, offers it again after {@link #RETRY_DELAY}. */
    private void schedule() {
        try {
            pool.execute(drainTask);
        }
        catch (RejectedExecutionException full) {
            if (pool instanceof ExecutorService service && service.isShutdown()) {
                drain(); // shutting down: finish the backlog on this thread, as before
                return;
            }
            retries.schedule(this::schedule, RETRY_DELAY);
        }
    }

    /**
     * Runs queued tasks; after {@link #BATCH} of them it yields the pool thread (re-submits itself
     * at the back of the pool's queue) so a busy session cannot starve the others.
     */
    private void drain() {
        for (int ran = 1; ; ran++) {
            Runnable task = tasks.poll();
            try {
                task.run();
            }
            catch (RuntimeException | Error ex) {
                log.error("Session task failed", ex);
            }
            if ((int) PENDING.getAndAdd(this, -1) == 1) {
                return;
            }
            if (ran == BATCH) {
                try {
                    pool.execute(drainTask);
                    return;
                }
                catch (RejectedExecutionException ex) {
                    ran = 0; // the pool is full or shutting down: go on with the backlog on this thread
                }
            }
        }
    }
}
