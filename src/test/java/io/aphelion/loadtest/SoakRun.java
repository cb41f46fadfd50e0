package io.aphelion.loadtest;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
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
 * One bounded soak against a running server (PRODUCT.md "Sessions", "Delivery"): acking game
 * clients ({@link SoakClient}) chat through the default lobby for {@code duration}, dropping
 * connections and resuming them; slow readers ({@link SlowReader}) and ping flooders
 * ({@link PingFlooder}) run beside them. Then sending stops, the run waits (at most
 * {@code drain}) until every client holds its connections again and the server acked every chat
 * line, and counts.
 *
 * <p>What it counts against what the server promises: a chat line accepted by the server (it acked
 * the packet) is broadcast reliably to every session authenticated at that moment. A client that
 * was authenticated before the line was first sent, and whose session lived to the end, must
 * receive it at least once while its session lives, drops and resumes included (re-sent on resume):
 * otherwise it is <b>lost</b>. A second receipt is a <b>duplicate</b> (allowed: at-least-once). A
 * first receipt of a line older than one already received from the same sender is <b>out of
 * order</b> for a client with one connection; for a client with two it is only counted as reordered
 * across connections (each connection is ordered, the two are not ordered with each other).
 *
 * <p>Every loop is bounded: clients stop sending and dropping at the deadline, the drain and the
 * close have their own limits, and every thread is the event-loop group's, shut down at the end.
 */
final class SoakRun {

    /** What a soak measured. */
    record Result(SoakOptions options, int clients, int twoConnectionClients, int ready, long sent, long accepted,
            long expected, long received, long lost, long duplicates, long outOfOrder, long reorderedAcrossConnections,
            long drops, long dropsBeforeFirstAck, long resumes, long serverCloses, List<String> endedUnexpectedly,
            List<String> lostExamples, List<String> outOfOrderExamples, Map<String, Long> closeCodes, Map<String, Long> errors, String slowReaders,
            String flooders, String server, boolean drained) {

        boolean passed() {
            return lost == 0 && outOfOrder == 0 && endedUnexpectedly.isEmpty() && errors.isEmpty() && ready == clients
                    && sent > 0 && drained;
        }

        String report() {
            StringBuilder out = new StringBuilder();
            out.append(String.format(Locale.ROOT, "[soak] %s for %d s: %d game clients (%d with two connections), %d slow readers, "
                    + "%d flooders, seed %d%n", options.url, options.duration.toSeconds(), clients, twoConnectionClients,
                    options.slowReaders, options.flooders, options.seed));
            out.append(String.format(Locale.ROOT, "[soak] chat: sent=%d accepted=%d expected receipts=%d received=%d lost=%d "
                    + "duplicates=%d out-of-order=%d (one-connection clients) reordered across connections=%d (two-connection "
                    + "clients, not a guarantee)%n", sent, accepted, expected, received, lost, duplicates, outOfOrder,
                    reorderedAcrossConnections));
            out.append(String.format(Locale.ROOT, "[soak] connections: drops=%d (of which before that connection's first ack, "
                    + "i.e. while the server treated it as never acked: %d) resumes=%d closed by the server=%d; authenticated %d/%d; sessions ended "
                    + "unexpectedly=%d%n", drops, dropsBeforeFirstAck, resumes, serverCloses, ready, clients,
                    endedUnexpectedly.size()));
            endedUnexpectedly.forEach(line -> out.append("[soak]   ended: ").append(line).append('\n'));
            lostExamples.forEach(line -> out.append("[soak]   lost: ").append(line).append('\n'));
            outOfOrderExamples.forEach(line -> out.append("[soak]   out of order: ").append(line).append('\n'));
            out.append(String.format("[soak] closes by code=%s errors=%s%n", closeCodes, errors));
            out.append("[soak] slow readers: ").append(slowReaders).append('\n');
            out.append("[soak] flooders: ").append(flooders).append('\n');
            if (server != null) {
                out.append("[soak] server: ").append(server).append('\n');
            }
            if (!drained) {
                out.append("[soak] the drain ran out before every client was back and every line acked\n");
            }
            out.append("[soak] ").append(passed() ? "PASSED" : "FAILED").append('\n');
            return out.toString();
        }
    }

    private static final int LOST_EXAMPLES = 10;

    private final SoakOptions options;
    private final LoadStats stats = new LoadStats();
    private final String tag;
    private final LongAdder receipts = new LongAdder();
    private volatile boolean sending;
    private volatile boolean closing;
    private Bootstrap bootstrap;
    private InetSocketAddress remote;

    SoakRun(SoakOptions options) {
        this.options = options;
        SplittableRandom random = new SplittableRandom(options.seed);
        StringBuilder letters = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            letters.append((char) ('a' + random.nextInt(26)));
        }
        this.tag = letters.toString();
    }

    SoakOptions options() {
        return options;
    }

    LoadStats stats() {
        return stats;
    }

    /** This run's mark in nicknames and chat lines, so that lines of other clients of the server are ignored. */
    String tag() {
        return tag;
    }

    /** Clients chat and drop while this is true. */
    boolean sending() {
        return sending;
    }

    /** The run is closing its clients: losses are no longer drops. */
    boolean closing() {
        return closing;
    }

    void receipt() {
        receipts.increment();
    }

    String chatText(int client, int seq) {
        return "soak:" + tag + ":" + client + ":" + seq;
    }

    /** The client and sequence number of one of this run's chat lines, or null. */
    int[] parseChat(String text) {
        String prefix = "soak:" + tag + ":";
        if (!text.startsWith(prefix)) {
            return null;
        }
        int colon = text.indexOf(':', prefix.length());
        try {
            return new int[] { Integer.parseInt(text.substring(prefix.length(), colon)), Integer.parseInt(text.substring(colon + 1)) };
        }
        catch (RuntimeException ex) {
            stats.error("malformed chat line");
            return null;
        }
    }

    /** Opens a websocket on {@code loop} whose frames go to {@code handler}. */
    ChannelFuture connect(EventLoop loop, ChannelHandler handler) {
        return bootstrap.clone(loop).handler(initializer(handler)).connect(remote);
    }

    private ChannelInitializer<SocketChannel> initializer(ChannelHandler handler) {
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(options.url)
                .handleCloseFrames(false)
                // A drop is a TCP abort: Netty would otherwise send a 1000 close first, and a 1000 on a
                // session's last connection means the client left (the session ends at once).
                .sendCloseFrame(null)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(30_000)
                .maxFramePayloadLength(65536)
                .generateOriginHeader(false)
                .build();
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                        new WebSocketClientProtocolHandler(config), handler);
            }
        };
    }

    Result run() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(options.threads, NioIoHandler.newFactory());
        // Slow readers and flooders on a loop of their own: a flooder must not slow the game clients' loops.
        EventLoopGroup side = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            return run(group, side);
        }
        finally {
            side.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private Result run(EventLoopGroup group, EventLoopGroup side) throws Exception {
        URI url = options.url;
        remote = new InetSocketAddress(url.getHost(), url.getPort() > 0 ? url.getPort() : 80);
        bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
        ServerProbe probe = options.metrics == null ? null : new ServerProbe(options.metrics, 0);
        String serverBefore = probe == null ? null : serverFigures(probe);

        SplittableRandom random = new SplittableRandom(options.seed);
        sending = true;
        List<SoakClient> clients = new ArrayList<>();
        int twoConnectionClients = (int) Math.round(options.sessions * options.twoConnections);
        for (int i = 0; i < options.sessions; i++) {
            SoakClient client = new SoakClient(this, i, i < twoConnectionClients, group.next(), random.nextLong());
            clients.add(client);
            client.start();
        }
        awaitAll(clients, SoakClient::startedOnLoop, 30_000);
        int ready = (int) clients.stream().filter(client -> onLoop(client.loop(), client::startedOnLoop)).count();
        log("%d/%d game clients authenticated", ready, clients.size());

        List<SlowReader> slowReaders = new ArrayList<>();
        for (int i = 0; i < options.slowReaders; i++) {
            SlowReader reader = new SlowReader(this, i);
            slowReaders.add(reader);
            bootstrap.clone(side.next()).option(ChannelOption.SO_RCVBUF, 4096).handler(initializer(reader)).connect(remote);
        }
        List<PingFlooder> flooders = new ArrayList<>();
        for (int i = 0; i < options.flooders; i++) {
            PingFlooder flooder = new PingFlooder(this);
            flooders.add(flooder);
            connect(side.next(), flooder);
        }

        long start = System.nanoTime();
        long end = start + options.duration.toNanos();
        long nextProgress = start + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < end) {
            Thread.sleep(Math.max(1, Math.min(200, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
            if (System.nanoTime() >= nextProgress) {
                nextProgress += TimeUnit.SECONDS.toNanos(5);
                log("t=%ds receipts=%d closes=%s errors=%s", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
                        receipts.sum(), LoadStats.snapshot(stats.closeCodes), LoadStats.snapshot(stats.errors));
            }
        }
        sending = false;
        log("sending stopped; draining (at most %d s)", options.drain.toSeconds());
        boolean drained = drain(clients);
        String serverDuring = probe == null ? null : serverFigures(probe);

        List<SoakClient.Snapshot> snapshots = new ArrayList<>();
        for (SoakClient client : clients) {
            snapshots.add(onLoop(client.loop(), client::snapshotOnLoop));
        }
        slowReaders.forEach(SlowReader::resumeReading);
        Thread.sleep(1000);
        closing = true;
        for (SoakClient client : clients) {
            onLoop(client.loop(), () -> {
                client.closeOnLoop();
                return null;
            });
        }
        slowReaders.forEach(reader -> {
            if (reader.connected) {
                reader.close();
            }
        });
        flooders.forEach(flooder -> {
            if (flooder.connected) {
                flooder.close();
            }
        });
        String serverAfter = null;
        if (probe != null) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            double connections = probe.metric("aphelion.connections");
            while (connections > 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                connections = probe.metric("aphelion.connections");
            }
            serverAfter = serverFigures(probe);
        }
        Thread.sleep(500);
        String server = probe == null ? null
                : "before: " + serverBefore + "; at the end of the run: " + serverDuring + "; after closing: " + serverAfter;
        return count(snapshots, ready, twoConnectionClients, slowReaders(slowReaders), flooders(flooders), server, drained);
    }

    /** Waits until every client is back on its connections with nothing of its own unacked, and receipts stop. */
    private boolean drain(List<SoakClient> clients) throws Exception {
        long deadline = System.nanoTime() + options.drain.toNanos();
        long lastReceipts = -1;
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long now = receipts.sum();
            if (now != lastReceipts) {
                lastReceipts = now;
                quietSince = System.nanoTime();
            }
            boolean settled = clients.stream().allMatch(client -> onLoop(client.loop(), client::settledOnLoop));
            if (settled && System.nanoTime() - quietSince > TimeUnit.SECONDS.toNanos(1)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private Result count(List<SoakClient.Snapshot> snapshots, int ready, int twoConnectionClients, String slowReaders,
            String flooders, String server, boolean drained) {
        long sent = 0;
        long accepted = 0;
        long expected = 0;
        long lost = 0;
        List<String> lostExamples = new ArrayList<>();
        List<String> ended = new ArrayList<>();
        for (SoakClient.Snapshot client : snapshots) {
            if (client.endReason() != null) {
                ended.add("client " + client.index() + ": " + client.endReason());
            }
        }
        for (SoakClient.Snapshot sender : snapshots) {
            sent += sender.sent();
            accepted += sender.accepted().cardinality();
            for (int seq = sender.accepted().nextSetBit(0); seq >= 0; seq = sender.accepted().nextSetBit(seq + 1)) {
                long sentAt = sender.sentAt()[seq];
                for (SoakClient.Snapshot receiver : snapshots) {
                    if (receiver.endReason() != null || receiver.authAt() == 0 || receiver.authAt() >= sentAt) {
                        continue;
                    }
                    expected++;
                    BitSet seen = receiver.seen().get(sender.index());
                    if (seen == null || !seen.get(seq)) {
                        lost++;
                        if (lostExamples.size() < LOST_EXAMPLES) {
                            lostExamples.add(String.format(Locale.ROOT, "line %d of client %d, never received by client %d "
                                    + "(%s connection%s, %d drops, %d of them before that connection's first ack)", seq,
                                    sender.index(), receiver.index(), receiver.twoConnections() ? "two" : "one",
                                    receiver.twoConnections() ? "s" : "", receiver.drops(), receiver.dropsBeforeFirstAck()));
                        }
                    }
                }
            }
        }
        return new Result(options, snapshots.size(), twoConnectionClients, ready, sent, accepted, expected,
                sum(snapshots, SoakClient.Snapshot::received), lost, sum(snapshots, SoakClient.Snapshot::duplicates),
                sum(snapshots, SoakClient.Snapshot::outOfOrder), sum(snapshots, SoakClient.Snapshot::reorderedAcrossConnections),
                sum(snapshots, SoakClient.Snapshot::drops), sum(snapshots, SoakClient.Snapshot::dropsBeforeFirstAck),
                sum(snapshots, SoakClient.Snapshot::resumes), sum(snapshots, SoakClient.Snapshot::serverCloses), ended,
                lostExamples, snapshots.stream().flatMap(client -> client.outOfOrderExamples().stream()).limit(LOST_EXAMPLES).toList(),
                new TreeMap<>(LoadStats.snapshot(stats.closeCodes)), new TreeMap<>(LoadStats.snapshot(stats.errors)),
                slowReaders, flooders, server, drained);
    }

    private static long sum(List<SoakClient.Snapshot> snapshots, java.util.function.ToLongFunction<SoakClient.Snapshot> field) {
        return snapshots.stream().mapToLong(field).sum();
    }

    private static String slowReaders(List<SlowReader> readers) {
        Map<Integer, Integer> codes = new TreeMap<>();
        long read = 0;
        int connected = 0;
        int closedByServer = 0;
        for (SlowReader reader : readers) {
            connected += reader.connected ? 1 : 0;
            read += reader.packetsRead;
            if (reader.closedBeforeUs) {
                closedByServer++;
                codes.merge(reader.closeCode, 1, Integer::sum);
            }
        }
        return String.format(Locale.ROOT, "%d/%d connected, %d packets read (before the stall and after the run), "
                + "%d closed by the server by the end, close codes seen (0: none)=%s", connected, readers.size(), read,
                closedByServer, codes);
    }

    private static String flooders(List<PingFlooder> flooders) {
        long sent = 0;
        long answers = 0;
        Map<Integer, Integer> codes = new TreeMap<>();
        for (PingFlooder flooder : flooders) {
            sent += flooder.pingsSent;
            answers += flooder.answers;
            codes.merge(flooder.closeCode, 1, Integer::sum);
        }
        return String.format(Locale.ROOT, "%d pings sent, %d answered, close codes (0: none)=%s", sent, answers, codes);
    }

    private static String serverFigures(ServerProbe probe) {
        try {
            return String.format(Locale.ROOT, "heap %.1f MB, %d connections, %d game sessions, %d messages buffered",
                    probe.heapUsed() / 1e6, (long) probe.metric("aphelion.connections"),
                    (long) probe.metric("aphelion.sessions", "protocol:game"), (long) probe.metric("aphelion.send.buffer.messages"));
        }
        catch (Exception ex) {
            return "unavailable (" + ex.getMessage() + ")";
        }
    }

    private static void awaitAll(List<SoakClient> clients, Predicate<SoakClient> done, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < deadline && !clients.stream().allMatch(client -> onLoop(client.loop(), () -> done.test(client)))) {
            Thread.sleep(100);
        }
    }

    /** Runs {@code read} on the loop and waits for it: a consistent read of state the loop owns. */
    private static <T> T onLoop(EventLoop loop, Callable<T> read) {
        try {
            return loop.submit(read).get(10, TimeUnit.SECONDS);
        }
        catch (Exception ex) {
            throw new IllegalStateException("event loop did not answer", ex);
        }
    }

    private void log(String format, Object... args) {
        if (!options.quiet) {
            System.out.printf("[soak] " + format + "%n", args);
        }
    }
}
