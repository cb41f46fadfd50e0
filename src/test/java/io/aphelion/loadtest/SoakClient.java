package io.aphelion.loadtest;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.InvalidProtocolBufferException;

import io.aphelion.proto.game.Authenticate;
import io.aphelion.proto.game.AuthenticateResponse;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.LocalChatMessage;
import io.aphelion.proto.game.S2C;
import io.aphelion.proto.game.SendLocalChat;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * One acking game client of the soak (protocol 2): a session of one or two connections that
 * authenticates in the default lobby, sends numbered chat lines ({@code soak:<run>:<client>:<seq>})
 * on one connection at a time, acks what it receives, drops connections (TCP abort, no close
 * frame) and resumes them with its token, and records every chat line it receives from the run.
 *
 * <p>Its own sends are at-least-once too: a chat line counts as accepted by the server once the
 * server acked the packet that carried it; lines in packets a dropped connection never saw acked
 * are sent again, in order, before newer ones, on the next connection.
 *
 * <p>Threads: everything runs on the client's one event loop (all its connections are registered
 * on it, its timers run on it); {@link SoakRun} reads its state through {@link #snapshot} on that
 * loop once the client has stopped.
 */
final class SoakClient {

    /** Where the client is. */
    enum State { CONNECTING, AUTHENTICATING, READY, ENDED }

    /** What the client saw and sent, copied on its loop for {@link SoakRun}'s accounting. */
    record Snapshot(int index, boolean twoConnections, long authAt, long endedAt, String endReason, int sent, long[] sentAt,
            BitSet accepted, Map<Integer, BitSet> seen, long received, long duplicates, long outOfOrder,
            List<String> outOfOrderExamples, long reorderedAcrossConnections, int drops, int dropsBeforeFirstAck, int resumes, int serverCloses) {
    }

    private static final int[] NO_CHAT = new int[0];

    private final SoakRun run;
    final int index;
    private final String nickname;
    final boolean twoConnections;
    private final EventLoop loop;
    private final SplittableRandom random;

    // All below: only on the loop.
    private State state = State.CONNECTING;
    private SessionToken token;
    /** Attached connections (token received); the first one carries the chat lines. */
    private final List<Connection> open = new ArrayList<>(2);
    /** Connects under way (handshake not done), and resumes waiting for their delay. */
    private int connecting;
    /** Chat lines waiting for a connection: re-sends first, in order, then new ones. */
    private final ArrayDeque<Integer> unsent = new ArrayDeque<>();
    /** When the session last had no connection left, or 0 while it has one. */
    private long detachedSince;
    private long authAt;
    private long endedAt;
    private String endReason;
    private int nextSeq;
    private long[] sentAt = new long[256];
    private final BitSet accepted = new BitSet();
    private final Map<Integer, BitSet> seen = new HashMap<>();
    private final Map<Integer, Integer> highestSeen = new HashMap<>();
    private long received;
    private long duplicates;
    private long outOfOrder;
    private long reorderedAcrossConnections;
    private final List<String> outOfOrderExamples = new ArrayList<>();
    private int drops;
    private int dropsBeforeFirstAck;
    private int resumes;
    private int serverCloses;

    SoakClient(SoakRun run, int index, boolean twoConnections, EventLoop loop, long seed) {
        this.run = run;
        this.index = index;
        this.nickname = "Soak" + run.tag() + "_" + index;
        this.twoConnections = twoConnections;
        this.loop = loop;
        this.random = new SplittableRandom(seed);
    }

    /** Opens the first connection; the rest follows from the server's answers. */
    void start() {
        loop.execute(() -> connect(false));
    }

    /** True once authenticated (or ended): the run may start counting on this client. */
    boolean startedOnLoop() {
        return state == State.READY || state == State.ENDED;
    }

    /** Every connection back, every chat line of ours acked by the server (or the session is over). */
    boolean settledOnLoop() {
        if (state == State.ENDED) {
            return true;
        }
        if (connecting > 0 || open.isEmpty() || !unsent.isEmpty()) {
            return false;
        }
        return open.stream().allMatch(connection -> connection.unacked.isEmpty());
    }

    EventLoop loop() {
        return loop;
    }

    /** Leaves: every connection closed with 1000 (the session ends at once). */
    void closeOnLoop() {
        for (Connection connection : List.copyOf(open)) {
            connection.closeByUs(CloseCodes.NORMAL, "soak done");
        }
    }

    Snapshot snapshotOnLoop() {
        Map<Integer, BitSet> seenCopy = new HashMap<>();
        seen.forEach((sender, bits) -> seenCopy.put(sender, (BitSet) bits.clone()));
        return new Snapshot(index, twoConnections, authAt, endedAt, endReason, nextSeq, Arrays.copyOf(sentAt, nextSeq),
                (BitSet) accepted.clone(), seenCopy, received, duplicates, outOfOrder, List.copyOf(outOfOrderExamples),
                reorderedAcrossConnections, drops,
                dropsBeforeFirstAck, resumes, serverCloses);
    }

    // ---- connections

    private void connect(boolean quickDrop) {
        connecting++;
        Connection connection = new Connection(quickDrop);
        run.connect(loop, connection).addListener(done -> {
            if (!done.isSuccess()) {
                run.stats().error("connect: " + done.cause().getClass().getSimpleName());
                doneConnecting(connection);
                retryLater();
            }
        });
    }

    /** After a drop: resume after a random delay; some resumed connections are dropped again at once. */
    private void resumeLater() {
        if (state == State.ENDED || run.closing()) {
            return;
        }
        long min = run.options().minReconnectDelay.toMillis();
        long delay = min + random.nextLong(run.options().reconnectDelay.toMillis() - min + 1);
        boolean quickDrop = run.sending() && random.nextDouble() < run.options().quickDrops;
        connecting++;
        loop.schedule(() -> {
            connecting--;
            connect(quickDrop);
        }, delay, TimeUnit.MILLISECONDS);
    }

    private void retryLater() {
        if (state == State.ENDED || run.closing()) {
            return;
        }
        if (detachedSince != 0 && System.nanoTime() - detachedSince > TimeUnit.SECONDS.toNanos(20)) {
            end("could not reconnect within 20 s");
            return;
        }
        connecting++;
        loop.schedule(() -> {
            connecting--;
            connect(false);
        }, 500, TimeUnit.MILLISECONDS);
    }

    /** A connection's connect is over (attached, failed or lost first): counted once. */
    private void doneConnecting(Connection connection) {
        if (connection.connecting) {
            connection.connecting = false;
            connecting--;
        }
    }

    private void attached(Connection connection, SessionToken reply) {
        doneConnecting(connection);
        if (token == null) {
            token = reply;
            open.add(connection);
            state = State.AUTHENTICATING;
            sendPayload(connection, C2S.newBuilder()
                    .addAuthenticate(Authenticate.newBuilder().setNickname(nickname)).build().toByteArray(), NO_CHAT);
            if (twoConnections) {
                connect(false);
            }
            return;
        }
        if (!token.equals(reply)) {
            // The server no longer knew the session: it ended while we were away.
            connection.closeByUs(CloseCodes.NORMAL, "soak: session lost");
            end("resumed with a new token (the session had ended)");
            return;
        }
        if (open.isEmpty()) {
            resumes++;
            detachedSince = 0;
        }
        open.add(connection);
        if (open.size() == 1) {
            flushUnsent();
        }
        if (connection.quickDrop && run.sending()) {
            loop.schedule(() -> drop(connection), random.nextInt(31), TimeUnit.MILLISECONDS);
        }
    }

    private void lost(Connection connection) {
        boolean wasPrimary = !open.isEmpty() && open.get(0) == connection;
        if (!open.remove(connection)) {
            boolean beforeItsToken = connection.connecting;
            doneConnecting(connection);
            if (beforeItsToken && state != State.ENDED && !run.closing()) {
                retryLater();
            }
            return;
        }
        if (wasPrimary) {
            // Our lines the server did not ack on it go again, before any newer line.
            ArrayDeque<Integer> again = new ArrayDeque<>();
            for (int[] packet : connection.unacked) {
                for (int seq : packet) {
                    again.addLast(seq);
                }
            }
            if (state == State.AUTHENTICATING) {
                again.addFirst(-1); // answered ALREADY_AUTHENTICATED if the first one did arrive
            }
            again.addAll(unsent);
            unsent.clear();
            unsent.addAll(again);
        }
        if (state == State.ENDED || run.closing()) {
            return;
        }
        if (open.isEmpty()) {
            detachedSince = System.nanoTime();
        }
        else if (wasPrimary) {
            flushUnsent();
        }
        resumeLater();
    }

    private void end(String reason) {
        if (state == State.ENDED) {
            return;
        }
        state = State.ENDED;
        endedAt = System.nanoTime();
        endReason = reason;
        unsent.clear();
        for (Connection connection : List.copyOf(open)) {
            connection.closeByUs(CloseCodes.NORMAL, "soak: session over");
        }
        open.clear();
    }

    // ---- chat and drops

    private void authenticated() {
        state = State.READY;
        authAt = System.nanoTime();
        scheduleChat();
        scheduleDrop();
    }

    private void scheduleChat() {
        long periodMicros = (long) (1e6 / run.options().chatRate);
        long delay = periodMicros / 2 + random.nextLong(periodMicros + 1);
        loop.schedule(this::chat, delay, TimeUnit.MICROSECONDS);
    }

    private void chat() {
        if (state != State.READY || !run.sending()) {
            return;
        }
        int seq = nextSeq++;
        if (seq == sentAt.length) {
            sentAt = Arrays.copyOf(sentAt, sentAt.length * 2);
        }
        sentAt[seq] = System.nanoTime();
        unsent.addLast(seq);
        if (!open.isEmpty()) {
            flushUnsent();
        }
        scheduleChat();
    }

    private void scheduleDrop() {
        double perMinute = run.options().dropsPerMinute;
        if (perMinute <= 0) {
            return;
        }
        double meanMillis = 60_000 / perMinute;
        long delay = (long) (-Math.log(1 - random.nextDouble()) * meanMillis);
        loop.schedule(() -> {
            if (state == State.ENDED || !run.sending()) {
                return;
            }
            if (!open.isEmpty()) {
                drop(open.get(random.nextInt(open.size())));
            }
            scheduleDrop();
        }, delay, TimeUnit.MILLISECONDS);
    }

    /** Aborts a connection: RST, no close frame; unread bytes are lost with it, as on a real network drop. */
    private void drop(Connection connection) {
        if (!open.contains(connection) || connection.ctx == null || !connection.ctx.channel().isActive()) {
            return;
        }
        drops++;
        if (!connection.ackedAny) {
            dropsBeforeFirstAck++;
        }
        connection.aborted = true;
        connection.ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
        connection.ctx.close();
    }

    private void flushUnsent() {
        Connection primary = open.get(0);
        while (!unsent.isEmpty()) {
            int seq = unsent.pollFirst();
            if (seq < 0) {
                sendPayload(primary, C2S.newBuilder()
                        .addAuthenticate(Authenticate.newBuilder().setNickname(nickname)).build().toByteArray(), NO_CHAT);
                continue;
            }
            byte[] chat = C2S.newBuilder()
                    .addSendLocalChat(SendLocalChat.newBuilder().setMessage(run.chatText(index, seq)))
                    .build().toByteArray();
            sendPayload(primary, chat, new int[] { seq });
        }
    }

    private void sendPayload(Connection connection, byte[] payload, int[] seqs) {
        ChannelHandlerContext ctx = connection.ctx;
        int ack = connection.takeAck();
        ByteBuf frame = ctx.alloc().buffer(1 + payload.length).writeByte(ack).writeBytes(payload);
        connection.unacked.addLast(seqs);
        ctx.writeAndFlush(new BinaryWebSocketFrame(frame), ctx.voidPromise());
    }

    // ---- what arrives

    private void onS2C(S2C message) {
        for (AuthenticateResponse response : message.getAuthenticateResponseList()) {
            if (state != State.AUTHENTICATING) {
                continue;
            }
            AuthenticateResponse.Error error = response.getError();
            if (error == AuthenticateResponse.Error.OK || error == AuthenticateResponse.Error.ALREADY_AUTHENTICATED) {
                authenticated();
            }
            else {
                run.stats().error("authenticate: " + error);
                end("authentication refused: " + error);
            }
        }
        for (LocalChatMessage chat : message.getLocalChatMessageList()) {
            int[] line = run.parseChat(chat.getMessage());
            if (line == null) {
                continue; // another run's, or another client's
            }
            record(line[0], line[1]);
        }
    }

    private void record(int sender, int seq) {
        run.receipt();
        BitSet bits = seen.computeIfAbsent(sender, key -> new BitSet());
        if (bits.get(seq)) {
            duplicates++;
            return;
        }
        bits.set(seq);
        received++;
        int highest = highestSeen.getOrDefault(sender, -1);
        if (seq < highest) {
            if (twoConnections) {
                reorderedAcrossConnections++;
            }
            else {
                outOfOrder++;
                if (outOfOrderExamples.size() < 5) {
                    outOfOrderExamples.add("line " + seq + " of client " + sender + " reached client " + index
                            + " after line " + highest + " (" + drops + " drops so far, " + dropsBeforeFirstAck
                            + " before that connection's first ack)");
                }
            }
        }
        else {
            highestSeen.put(sender, seq);
        }
    }

    /** One websocket of the client: handshake, acks both ways, the server's packets. On the client's loop. */
    private final class Connection extends AphelionClientHandler {

        final boolean quickDrop;        boolean awaitingToken = true;
        /** Our payload packets on this connection the server has not acked yet: the chat lines each carried. */
        final ArrayDeque<int[]> unacked = new ArrayDeque<>();
        /** Until its token arrives (or it fails first): counted in the client's {@code connecting}. */
        boolean connecting = true;
        /** Payload packets received and not acked yet. */
        int owed;
        boolean ackScheduled;
        /** Whether we ever sent a non-zero ack on this connection. */
        boolean ackedAny;
        int payloadsReceived;
        /** Dropped by us (TCP abort): a write racing with it fails, harmlessly. */
        boolean aborted;

        Connection(boolean quickDrop) {
            this.quickDrop = quickDrop;
        }

        @Override
        protected byte[] initPacket() {
            return token == null ? InitPacket.newSession(WireFormat.PROTOCOL_GAME, 1).encode()
                    : new InitPacket(WireFormat.PROTOCOL_GAME, 1, token).encode();
        }

        @Override
        protected void upgradeTimedOut() {
            run.stats().error("upgrade timeout");
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof BinaryWebSocketFrame) {
                ByteBuf content = frame.content();
                if (awaitingToken) {
                    if (content.readableBytes() != WireFormat.S2C_INIT_LENGTH) {
                        run.stats().error("init reply of " + content.readableBytes() + " bytes");
                        ctx.close();
                        return;
                    }
                    awaitingToken = false;
                    attached(this, SessionToken.of(ByteBufUtil.getBytes(content)));
                }
                else {
                    onPacket(content);
                }
            }
            else if (frame instanceof CloseWebSocketFrame close) {
                if (!closedByUs) {
                    serverCloses++;
                    run.stats().closed(close.statusCode());
                }
                ctx.close();
            }
        }

        private void onPacket(ByteBuf content) {
            if (!content.isReadable()) {
                run.stats().error("empty packet from the server");
                return;
            }
            int ack = content.readUnsignedByte();
            if (ack > unacked.size()) {
                run.stats().error("ack exceeds our outstanding packets");
                ack = unacked.size();
            }
            for (int i = 0; i < ack; i++) {
                for (int seq : unacked.pollFirst()) {
                    accepted.set(seq);
                }
            }
            if (!content.isReadable()) {
                return;
            }
            payloadsReceived++;
            owed++;
            try {
                onS2C(S2C.parseFrom(ByteBufUtil.getBytes(content)));
            }
            catch (InvalidProtocolBufferException ex) {
                run.stats().error("unparseable S2C");
            }
            if (!ackScheduled && ctx.channel().isActive()) {
                ackScheduled = true;
                ctx.executor().schedule(this::flushAck, run.options().ackDelay.toNanos(), TimeUnit.NANOSECONDS);
            }
        }

        int takeAck() {
            int ack = Math.min(owed, WireFormat.MAX_ACK);
            owed -= ack;
            if (ack > 0) {
                ackedAny = true;
            }
            return ack;
        }

        private void flushAck() {
            ackScheduled = false;
            if (owed == 0 || !ctx.channel().isActive()) {
                return;
            }
            int ack = takeAck();
            ctx.writeAndFlush(new BinaryWebSocketFrame(ctx.alloc().buffer(1).writeByte(ack)), ctx.voidPromise());
            if (owed > 0) {
                ackScheduled = true;
                ctx.executor().schedule(this::flushAck, run.options().ackDelay.toNanos(), TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            lost(this);
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A write racing with our own abort or close fails with ClosedChannelException: not an error.
            if (!closedByUs && !(aborted && cause instanceof java.nio.channels.ClosedChannelException)) {
                run.stats().error(cause.getClass().getSimpleName());
            }
            ctx.close();
        }
    }
}
