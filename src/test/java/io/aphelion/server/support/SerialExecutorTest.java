package io.aphelion.server.support;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class SerialExecutorTest {

    private final io.aphelion.server.testing.ManualScheduler scheduler = new io.aphelion.server.testing.ManualScheduler();

    /** A pool that runs its tasks only when the test says so, in submission order. */
    static final class StepPool implements java.util.concurrent.Executor {
        final ArrayDeque<Runnable> queued = new ArrayDeque<>();

        @Override
        public void execute(Runnable command) {
            queued.add(command);
        }

        void runAll() {
            while (!queued.isEmpty()) {
                queued.poll().run();
            }
        }
    }

    @Test
    void runsTasksOneAtATimeInOrder() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        SerialExecutor serial = new SerialExecutor(pool, 10_000, scheduler);
        List<Integer> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger running = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        for (int i = 0; i < 5_000; i++) {
            int n = i;
            serial.execute(() -> {
                if (running.incrementAndGet() > 1) {
                    overlaps.incrementAndGet();
                }
                seen.add(n);
                running.decrementAndGet();
            });
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 5_000);
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(overlaps.get()).isZero();
        assertThat(seen).isSorted();
    }

    @Test
    void refusesPastItsLimitButAlwaysTakesLifecycleEvents() {
        StepPool pool = new StepPool();
        SerialExecutor serial = new SerialExecutor(pool, 3, scheduler);
        assertThat(serial.execute(() -> { })).isTrue();
        assertThat(serial.execute(() -> { })).isTrue();
        assertThat(serial.execute(() -> { })).isTrue();
        assertThat(serial.execute(() -> { })).isFalse();
        AtomicInteger events = new AtomicInteger();
        serial.executeAlways(events::incrementAndGet);
        pool.runAll();
        assertThat(events.get()).isEqualTo(1);
        assertThat(serial.execute(() -> { })).isTrue();
    }

    @Test
    void busySessionYieldsThePoolThreadToOthers() {
        StepPool pool = new StepPool();
        SerialExecutor busy = new SerialExecutor(pool, 10_000, scheduler);
        SerialExecutor other = new SerialExecutor(pool, 10_000, scheduler);
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            busy.execute(() -> order.add("busy"));
        }
        other.execute(() -> order.add("other"));
        pool.runAll();
        assertThat(order).hasSize(101);
        assertThat(order.indexOf("other")).isEqualTo(SerialExecutor.BATCH);
    }

    @Test
    void aFullPoolLosesNothingTheDrainIsOfferedAgainUntilThePoolTakesIt() throws Exception {
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(1));
        try {
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            pool.execute(() -> awaitQuietly(release)); // the one thread is busy
            pool.execute(() -> { });                   // and the queue is full
            SerialExecutor serial = new SerialExecutor(pool, 10, scheduler);
            List<Integer> seen = java.util.Collections.synchronizedList(new ArrayList<>());

            assertThat(serial.execute(() -> seen.add(1))).as("taken, though the pool refused its drain").isTrue();
            assertThat(serial.execute(() -> seen.add(2))).isTrue();
            scheduler.advance(SerialExecutor.RETRY_DELAY);
            assertThat(seen).as("the pool is still full").isEmpty();

            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.getQueue().isEmpty() && pool.getActiveCount() == 0);
            scheduler.advance(SerialExecutor.RETRY_DELAY);

            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
            assertThat(seen).containsExactly(1, 2);
        }
        finally {
            pool.shutdownNow();
        }
    }

    private static void awaitQuietly(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void throwingTaskDoesNotStopTheNextOnes() {
        StepPool pool = new StepPool();
        SerialExecutor serial = new SerialExecutor(pool, 10, scheduler);
        AtomicInteger ran = new AtomicInteger();
        serial.execute(() -> {
            throw new IllegalStateException("boom");
        });
        serial.execute(ran::incrementAndGet);
        pool.runAll();
        assertThat(ran.get()).isEqualTo(1);
    }

    @Test
    void executeHereRunsOnTheCallingThreadWhenNothingIsQueued() {
        StepPool pool = new StepPool();
        SerialExecutor serial = new SerialExecutor(pool, 10, scheduler);
        List<String> ran = new ArrayList<>();

        assertThat(serial.executeHere(() -> ran.add(Thread.currentThread().getName()))).isTrue();

        assertThat(ran).containsExactly(Thread.currentThread().getName());
        assertThat(pool.queued).isEmpty();
    }

    @Test
    void executeHereWaitsItsTurnBehindAQueuedTask() {
        StepPool pool = new StepPool();
        SerialExecutor serial = new SerialExecutor(pool, 10, scheduler);
        List<String> ran = new ArrayList<>();

        serial.execute(() -> ran.add("event"));
        serial.executeHere(() -> ran.add("message"));

        assertThat(ran).as("the message may not overtake the event").isEmpty();
        pool.runAll();
        assertThat(ran).containsExactly("event", "message");
    }

    @Test
    void executeHereRefusesPastItsLimit() {
        StepPool pool = new StepPool();
        SerialExecutor serial = new SerialExecutor(pool, 2, scheduler);
        serial.execute(() -> { });
        serial.execute(() -> { });

        assertThat(serial.executeHere(() -> { })).isFalse();
    }

    @Test
    void executeHereHandsABacklogToThePoolAfterABatch() {
        StepPool pool = new StepPool();
        SerialExecutor serial = new SerialExecutor(pool, 1_000, scheduler);
        List<Integer> ran = new ArrayList<>();
        int queuedMeanwhile = SerialExecutor.BATCH + 8;

        serial.executeHere(() -> {
            ran.add(0);
            for (int i = 1; i <= queuedMeanwhile; i++) {
                int n = i;
                serial.execute(() -> ran.add(n));
            }
        });

        assertThat(ran).as("the calling thread runs one batch").hasSize(SerialExecutor.BATCH);
        assertThat(pool.queued).as("the rest goes to the pool").hasSize(1);
        pool.runAll();
        assertThat(ran).hasSize(queuedMeanwhile + 1).isSorted();
    }
}
