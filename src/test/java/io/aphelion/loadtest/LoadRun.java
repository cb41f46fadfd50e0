package io.aphelion.loadtest;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.IntFunction;

import io.aphelion.wire.SessionToken;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;

/**
 * One load run against one server: with a session url, first open every session there (as fast
 * as the connect concurrency allows, not measured but for its rate; those connections closed, or
 * kept open until the end with {@code --session-connection keep}); connect {@code sessions}
 * (paced by the ramp and the connect concurrency; with a session url, each resumes its session),
 * read the memory (heap or RSS) per session when asked, send for warmup + duration, report, close.
 * Prints a progress line each second unless quiet.
 */
final class LoadRun {

    /** What a run measured. Rates are per second; latencies in milliseconds. */
    record Result(String label, int sessions, int opened, double handshakesPerSecond,
            double lastThirdHandshakesPerSecond, double sessionsOpenedFirstPerSecond, long tokenMismatches, long keptConnectionPackets, double handshakeP50, double handshakeP99, double roundTripsPerSecond, double rttP50, double rttP99, double rttP999,
            double ackP50, double ackP99, double ackP999, long heapBytesPerSession, long rssBytesPerSession,
            double cpuMicrosPerHandshake, double cpuMicrosPerRoundTrip, Map<String, Long> closeCodes, Map<String, Long> errors) {

        String report() {
            StringBuilder out = new StringBuilder();
            out.append(String.format("[%s] sessions=%d opened=%d%n", label, sessions, opened));
            out.append(String.format("[%s] handshakes/s=%.0f (last third of the burst: %.0f) handshake p50=%.3f p99=%.3f ms%n",
                    label, handshakesPerSecond, lastThirdHandshakesPerSecond, handshakeP50, handshakeP99));
            if (!Double.isNaN(sessionsOpenedFirstPerSecond)) {
                out.append(String.format("[%s] sessions opened first at the session url: %.0f/s%n", label, sessionsOpenedFirstPerSecond));
            }
            if (keptConnectionPackets >= 0) {
                out.append(String.format("[%s] payload packets on the kept session connections=%d (answers not routed to "
                        + "the measured connection)%n", label, keptConnectionPackets));
            }
            if (tokenMismatches > 0) {
                out.append(String.format("[%s] TOKEN MISMATCH: %d resumes were answered with a new session, not theirs "
                        + "(relay or directory failed): these connections were not measured%n", label, tokenMismatches));
            }
            if (!Double.isNaN(rttP50)) {
                out.append(String.format("[%s] round trips/s=%.0f%n", label, roundTripsPerSecond));
                out.append(String.format("[%s] rtt p50=%.3f p99=%.3f p99.9=%.3f ms%n", label, rttP50, rttP99, rttP999));
                out.append(String.format("[%s] ack latency p50=%.3f p99=%.3f p99.9=%.3f ms%n", label, ackP50, ackP99, ackP999));
            }
            if (!Double.isNaN(cpuMicrosPerHandshake)) {
                out.append(String.format("[%s] server cpu per handshake=%.1f us, per round trip=%.1f us%n", label,
                        cpuMicrosPerHandshake, cpuMicrosPerRoundTrip));
            }
            if (heapBytesPerSession >= 0) {
                out.append(String.format("[%s] server heap per session=%d bytes (%.1f KiB)%n", label, heapBytesPerSession,
                        heapBytesPerSession / 1024.0));
            }
            if (rssBytesPerSession >= 0) {
                out.append(String.format("[%s] server RSS per session=%d bytes (%.1f KiB; resident set, not heap)%n", label,
                        rssBytesPerSession, rssBytesPerSession / 1024.0));
            }
            out.append(String.format("[%s] closes by code=%s errors=%s%n", label, closeCodes, errors));
            return out.toString();
        }
    }

    private final LoadOptions options;
    private final LoadStats stats = new LoadStats();
    private final List<LoadConnection> connections = new ArrayList<>();
    /** The connections that opened the sessions and stay open ({@code --session-connection keep}); empty otherwise. */
    private final List<SessionOpener> keptOpeners = new ArrayList<>();

    LoadRun(LoadOptions options) {
        this.options = options;
    }

    Result run() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(options.threads, NioIoHandler.newFactory());
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "load-progress");
            thread.setDaemon(true);
            return thread;
        });
        try {
            return run(group, progress);
        }
        finally {
            progress.shutdownNow();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private Result run(EventLoopGroup group, ScheduledExecutorService progress) throws Exception {
        MemoryProbe memory = options.rss ? new ResidentMemory(options.serverPid, options.metrics)
                : options.metrics == null ? null : new ServerProbe(options.metrics, options.serverPid);
        String memoryKind = options.rss ? "RSS" : "heap";
        long memoryBefore = memory == null ? -1 : memory.bytesAfterGc();

        // Sessions opened first elsewhere (not measured but for their rate).
        List<SessionToken> tokens = null;
        double sessionsOpenedFirstPerSecond = Double.NaN;
        if (options.sessionUrl != null) {
            long openStart = System.nanoTime();
            tokens = openSessions(group);
            sessionsOpenedFirstPerSecond = tokens.size() / ((System.nanoTime() - openStart) / 1e9);
            log(String.format("opened %d/%d sessions at %s in %.2f s: %.0f/s", tokens.size(), options.sessions,
                    options.sessionUrl, (System.nanoTime() - openStart) / 1e9, sessionsOpenedFirstPerSecond));
        }

        // Connect phase.
        int connects = tokens == null ? options.sessions : tokens.size();
        stats.connectsStarted.reset();
        stats.burst = connects;
        stats.lastThirdFrom = connects - connects / 3;
        long connectCpu = ServerCpu.nanos(options.cpuPids());
        long connectStart = System.nanoTime();
        var connectProgress = progress.scheduleAtFixedRate(new Ticker("connect", connectStart, false), 1, 1, TimeUnit.SECONDS);
        List<SessionToken> resumes = tokens;
        connections.addAll(connectAll(group, options.url, options.ramp, connects,
                i -> new LoadConnection(options.protocol, stats, options.ackDelay.toNanos(), System.nanoTime(),
                        resumes == null ? null : resumes.get(i)),
                connection -> connection.handshake));
        long connectEnd = System.nanoTime();
        double cpuPerHandshake = cpuMicrosPer(connectCpu, stats.handshakes());
        connectProgress.cancel(false);
        int opened = (int) stats.handshakes();
        double handshakesPerSecond = opened / ((connectEnd - connectStart) / 1e9);
        double handshakeP50 = stats.handshakeLatency.percentileMillis(50);
        double handshakeP99 = stats.handshakeLatency.percentileMillis(99);
        log(String.format("connected %d/%d in %.2f s: %.0f handshakes/s, handshake %s", opened, options.sessions,
                (connectEnd - connectStart) / 1e9, handshakesPerSecond, stats.handshakeLatency.summary()));

        long memoryPerSession = -1;
        if (memory != null && opened > 0) {
            long memoryAfter = memory.bytesAfterGc();
            memoryPerSession = (memoryAfter - memoryBefore) / opened;
            log(String.format("server %s after GC: before=%d after=%d bytes, %d bytes per session", memoryKind, memoryBefore,
                    memoryAfter, memoryPerSession));
        }

        // Message phase.
        boolean sending = options.rate != 0;
        if (sending) {
            long periodNanos = options.closedLoop() ? 0 : (long) (1e9 / options.rate);
            for (LoadConnection connection : connections) {
                long phase = periodNanos > 0 ? ThreadLocalRandom.current().nextLong(periodNanos) : 0;
                connection.start(options.closedLoop() ? Math.max(1, options.window) : 0, periodNanos, phase);
            }
            Thread.sleep(options.warmup.toMillis());
        }
        stats.resetMessageWindow();
        long windowCpu = ServerCpu.nanos(options.cpuPids());
        long windowStart = System.nanoTime();
        var runProgress = progress.scheduleAtFixedRate(new Ticker("run", windowStart, true), 1, 1, TimeUnit.SECONDS);
        Thread.sleep(options.duration.toMillis());
        long roundTrips = stats.roundTrips.sum();
        double cpuPerRoundTrip = cpuMicrosPer(windowCpu, roundTrips);
        long windowEnd = System.nanoTime();
        runProgress.cancel(false);
        Result result = new Result(options.label, options.sessions, opened, handshakesPerSecond,
                stats.lastThirdHandshakesPerSecond(), sessionsOpenedFirstPerSecond, stats.tokenMismatches.sum(),
                options.keepSessionConnection ? stats.keptConnectionPackets.sum() : -1, handshakeP50, handshakeP99,
                roundTrips / ((windowEnd - windowStart) / 1e9), stats.rtt.percentileMillis(50),
                stats.rtt.percentileMillis(99), stats.rtt.percentileMillis(99.9), stats.ackLatency.percentileMillis(50),
                stats.ackLatency.percentileMillis(99), stats.ackLatency.percentileMillis(99.9),
                options.rss ? -1 : memoryPerSession, options.rss ? memoryPerSession : -1,
                cpuPerHandshake, cpuPerRoundTrip, LoadStats.snapshot(stats.closeCodes), LoadStats.snapshot(stats.errors));

        // Close.
        connections.forEach(LoadConnection::stop);
        connections.forEach(LoadConnection::close);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (stats.open.sum() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        connections.clear();
        closeKeptOpeners();
        return result;
    }

    /**
     * Opens every session at the session url and closes its connection (4005), or keeps it open
     * with {@code --session-connection keep}; the tokens of those that opened.
     */
    private List<SessionToken> openSessions(EventLoopGroup group) throws InterruptedException {
        List<SessionOpener> openers = connectAll(group, options.sessionUrl, Duration.ZERO, options.sessions,
                i -> new SessionOpener(options.protocol, stats, options.keepSessionConnection), opener -> opener.opened);
        List<SessionToken> tokens = new ArrayList<>(openers.size());
        openers.forEach(opener -> tokens.add(opener.token));
        if (options.keepSessionConnection) {
            keptOpeners.addAll(openers);
        }
        return tokens;
    }

    /** Closes the kept session connections with 1000, after the measured ones: their sessions end. Waits at most 10 s. */
    private void closeKeptOpeners() throws InterruptedException {
        List<CompletableFuture<Void>> closed = new ArrayList<>(keptOpeners.size());
        keptOpeners.forEach(opener -> closed.add(opener.closeKept("load test done")));
        try {
            CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        }
        catch (TimeoutException | ExecutionException ex) {
            stats.error("session url: kept connections not closed in 10 s");
        }
        keptOpeners.clear();
    }

    /**
     * Connects {@code count} websockets to {@code url}, each with the handler {@code make} returns for
     * its index, paced by {@code ramp} and the connect concurrency; returns, once every one's
     * {@code done} future completed, those whose future completed with true.
     */
    private <T extends AphelionClientHandler> List<T> connectAll(EventLoopGroup group, URI url, Duration ramp, int count,
            IntFunction<T> make, Function<T, CompletableFuture<Boolean>> done) throws InterruptedException {
        int port = url.getPort() > 0 ? url.getPort() : 80;
        InetSocketAddress remote = new InetSocketAddress(url.getHost(), port);
        List<InetSocketAddress> sources = sourceAddresses(remote);
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(url)
                .handleCloseFrames(false)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(30_000)
                .maxFramePayloadLength(65536)
                .generateOriginHeader(false)
                .build();
        Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
        Semaphore inFlight = new Semaphore(options.connectConcurrency);
        long start = System.nanoTime();
        double perSession = ramp.isZero() ? 0 : (double) ramp.toNanos() / count;
        List<T> handlers = new ArrayList<>(count);
        List<CompletableFuture<Boolean>> handshakes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (perSession > 0) {
                long due = start + (long) (i * perSession);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            inFlight.acquire();
            T handler = make.apply(i);
            CompletableFuture<Boolean> handshake = done.apply(handler);
            handshake.whenComplete((ok, failure) -> inFlight.release());
            handlers.add(handler);
            handshakes.add(handshake);
            stats.connectsStarted.increment();
            Bootstrap one = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel channel) {
                    channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                            new WebSocketClientProtocolHandler(config), handler);
                }
            });
            ChannelFuture future = sources.isEmpty() ? one.connect(remote) : one.connect(remote, sources.get(i % sources.size()));
            future.addListener(connected -> {
                if (!connected.isSuccess()) {
                    stats.error("connect: " + connected.cause().getClass().getSimpleName());
                    handshake.complete(false);
                }
            });
        }
        CompletableFuture.allOf(handshakes.toArray(CompletableFuture[]::new)).join();
        handlers.removeIf(handler -> !done.apply(handler).join());
        return handlers;
    }

    private List<InetSocketAddress> sourceAddresses(InetSocketAddress remote) {
        List<InetSocketAddress> sources = new ArrayList<>();
        InetAddress address = remote.getAddress();
        if (options.sourceAddresses <= 0 || address == null || !address.isLoopbackAddress() || address.getAddress().length != 4) {
            return sources;
        }
        for (int i = 1; i <= options.sourceAddresses; i++) {
            sources.add(new InetSocketAddress("127.0.1." + i, 0));
        }
        return sources;
    }

    /** Server CPU microseconds per event since {@code startCpu}, or NaN when the pid is unknown. */
    private double cpuMicrosPer(long startCpu, long events) {
        long now = ServerCpu.nanos(options.cpuPids());
        return startCpu < 0 || now < 0 || events == 0 ? Double.NaN : (now - startCpu) / 1000.0 / events;
    }

    private void log(String line) {
        if (!options.quiet) {
            System.out.printf("[%s] %s%n", options.label, line);
        }
    }

    /** Prints one progress line per second: rates since the previous line, percentiles since the window began. */
    private final class Ticker implements Runnable {

        private final String phase;
        private final long start;
        private final boolean messages;
        private long lastHandshakes;
        private long lastRoundTrips;

        Ticker(String phase, long start, boolean messages) {
            this.phase = phase;
            this.start = start;
            this.messages = messages;
        }

        @Override
        public void run() {
            long handshakes = stats.handshakes();
            long roundTrips = stats.roundTrips.sum();
            StringBuilder line = new StringBuilder(String.format("%s t=%.0fs open=%d", phase, (System.nanoTime() - start) / 1e9,
                    stats.open.sum()));
            if (!messages) {
                line.append(String.format(" started=%d handshakes/s=%d", stats.connectsStarted.sum(), handshakes - lastHandshakes));
            }
            else if (options.rate != 0) {
                line.append(String.format(" round trips/s=%d rtt p99=%.3f ms ack p99=%.3f ms", roundTrips - lastRoundTrips,
                        stats.rtt.percentileMillis(99), stats.ackLatency.percentileMillis(99)));
            }
            line.append(" closes=").append(LoadStats.snapshot(stats.closeCodes));
            if (!stats.errors.isEmpty()) {
                line.append(" errors=").append(LoadStats.snapshot(stats.errors));
            }
            lastHandshakes = handshakes;
            lastRoundTrips = roundTrips;
            log(line.toString());
        }
    }
}
