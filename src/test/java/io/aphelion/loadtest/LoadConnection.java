package io.aphelion.loadtest;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * One simulated client on one websocket: sends the init packet once upgraded, waits for the
 * 32-byte token, then sends requests (protocol 1: a ping; protocol 2: a {@code time_request}),
 * each carrying the acks it owes, and acks the server's packets in an ack-only packet after
 * {@code ackDelay} when it has nothing to send. Given a token, it resumes that session instead of
 * asking for a new one, and a reply with another token (a new session: the server did not find
 * it, e.g. a relay or the cluster's directory failed) is counted and the connection closed, never
 * measured.
 *
 * <p>Measures, per request, the round trip (from the echoed {@code client_time}) and, per payload
 * packet sent, the time until the server's ack covers it.
 *
 * <p>Threads: every method runs on the channel's event loop, except {@link #start}/{@link #stop}
 * which hop onto it; no field needs a lock.
 */
final class LoadConnection extends AphelionClientHandler {

    /** Tag of field 1, wire type 1 (fixed64): {@code client_time} in ping {@code S2C} and in {@code TimeResponse}. */
    private static final int TAG_CLIENT_TIME = (1 << 3) | 1;
    /** Tag of game {@code S2C.time_response} (field 102, length-delimited). */
    private static final int TAG_TIME_RESPONSE = (102 << 3) | 2;
    /** Tag of game {@code C2S.time_request} (field 101, length-delimited). */
    private static final int TAG_TIME_REQUEST = (101 << 3) | 2;
    /** A {@code TimeRequest} / ping {@code C2S} body: the tag byte and 8 bytes of sfixed64. */
    private static final int TIME_BODY_LENGTH = 1 + 8;

    private final int protocol;
    private final LoadStats stats;
    private final long ackDelayNanos;
    private final long connectStartNanos;
    /** The session to resume (from {@link SessionOpener}); null: ask for a new session. */
    private final SessionToken resume;
    /** Completes with true when the token arrived, false when the connection failed first. */
    final CompletableFuture<Boolean> handshake = new CompletableFuture<>();
    private boolean awaitingToken = true;
    /** The tool is closing this connection: its close is not an error. */
    private boolean closingByUs;
    private boolean closeRecorded;
    /** Payload packets received since the last ack we sent. */
    private int owedAcks;
    private boolean ackFlushScheduled;
    /** Send times of our payload packets not yet acked by the server, oldest first. */
    private final LongQueue unacked = new LongQueue();
    /** Closed loop: requests kept in flight; 0 when not in closed-loop mode. */
    private int window;
    private int inFlight;
    private ScheduledFuture<?> ticker;
    private boolean sending;

    LoadConnection(int protocol, LoadStats stats, long ackDelayNanos, long connectStartNanos) {
        this(protocol, stats, ackDelayNanos, connectStartNanos, null);
    }

    LoadConnection(int protocol, LoadStats stats, long ackDelayNanos, long connectStartNanos, SessionToken resume) {
        this.resume = resume;
        this.protocol = protocol;
        this.stats = stats;
        this.ackDelayNanos = ackDelayNanos;
        this.connectStartNanos = connectStartNanos;
    }

    @Override
    protected byte[] initPacket() {
        return (resume == null ? InitPacket.newSession(protocol, 1) : new InitPacket(protocol, 1, resume)).encode();
    }

    @Override
    protected void upgradeTimedOut() {
        stats.error("upgrade timeout");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof BinaryWebSocketFrame) {
            ByteBuf content = frame.content();
            if (awaitingToken) {
                onInitReply(content);
            }
            else {
                onPacket(content);
            }
        }
        else if (frame instanceof CloseWebSocketFrame close) {
            recordClose(close.statusCode());
            ctx.close();
        }
        else if (frame instanceof TextWebSocketFrame) {
            stats.error("text frame from server");
        }
    }

    private void onInitReply(ByteBuf content) {
        if (handshake.isDone()) {
            return; // refused for a token mismatch, closing
        }
        if (content.readableBytes() != WireFormat.S2C_INIT_LENGTH) {
            stats.error("init reply of " + content.readableBytes() + " bytes");
            ctx.close();
            return;
        }
        if (resume != null && !resume.equals(InitPacket.decodeReply(content.nioBuffer()))) {
            // A new session in place of ours: 1000 ends it; this connection is not measured.
            stats.tokenMismatches.increment();
            stats.error("token changed on resume");
            closingByUs = true;
            handshake.complete(false);
            closeByUs(CloseCodes.NORMAL, "not the session asked for");
            return;
        }
        awaitingToken = false;
        stats.handshakeLatency.recordNanos(System.nanoTime() - connectStartNanos);
        stats.handshakeCompleted(System.nanoTime());
        stats.open.increment();
        handshake.complete(true);
    }

    private void onPacket(ByteBuf content) {
        if (!content.isReadable()) {
            stats.error("empty packet from server");
            return;
        }
        long now = System.nanoTime();
        int ack = content.readUnsignedByte();
        if (ack > unacked.size()) {
            stats.error("ack exceeds outstanding packets");
            ack = unacked.size();
        }
        for (int i = 0; i < ack; i++) {
            stats.ackLatency.recordNanos(now - unacked.poll());
        }
        stats.packetsAcked.add(ack);
        if (!content.isReadable()) {
            return;
        }
        owedAcks++;
        int answers = protocol == WireFormat.PROTOCOL_PING ? readPingAnswer(content, now) : readGameAnswers(content, now);
        inFlight = Math.max(0, inFlight - Math.max(answers, 1));
        if (sending && window > 0) {
            while (inFlight < window) {
                sendRequest();
            }
        }
        else if (!ackFlushScheduled) {
            ackFlushScheduled = true;
            ctx.executor().schedule(this::flushAck, ackDelayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private int readPingAnswer(ByteBuf in, long now) {
        int answers = 0;
        while (in.isReadable()) {
            int tag = readVarint(in);
            if (tag == TAG_CLIENT_TIME) {
                recordRoundTrip(now, in.readLongLE());
                answers++;
            }
            else {
                skip(in, tag);
            }
        }
        return answers;
    }

    private int readGameAnswers(ByteBuf in, long now) {
        int answers = 0;
        while (in.isReadable()) {
            int tag = readVarint(in);
            if (tag == TAG_TIME_RESPONSE) {
                int end = readVarint(in) + in.readerIndex();
                while (in.readerIndex() < end) {
                    int inner = readVarint(in);
                    if (inner == TAG_CLIENT_TIME) {
                        recordRoundTrip(now, in.readLongLE());
                        answers++;
                    }
                    else {
                        skip(in, inner);
                    }
                }
            }
            else {
                skip(in, tag);
            }
        }
        return answers;
    }

    private void recordRoundTrip(long now, long clientTime) {
        stats.rtt.recordNanos(now - clientTime);
        stats.roundTrips.increment();
    }

    private static int readVarint(ByteBuf in) {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            byte b = in.readByte();
            value |= (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw new IllegalStateException("varint too long");
    }

    private static void skip(ByteBuf in, int tag) {
        switch (tag & 7) {
            case 0 -> readVarint(in);
            case 1 -> in.skipBytes(8);
            case 2 -> in.skipBytes(readVarint(in));
            case 5 -> in.skipBytes(4);
            default -> throw new IllegalStateException("wire type " + (tag & 7));
        }
    }

    /** Starts sending: {@code window} > 0 keeps that many requests in flight; else one every {@code periodNanos}. */
    void start(int window, long periodNanos, long phaseNanos) {
        ctx.executor().execute(() -> {
            if (!ctx.channel().isActive()) {
                return;
            }
            sending = true;
            this.window = window;
            if (window > 0) {
                while (inFlight < window) {
                    sendRequest();
                }
            }
            else if (periodNanos > 0) {
                ticker = ctx.executor().scheduleAtFixedRate(this::sendRequest, phaseNanos, periodNanos, TimeUnit.NANOSECONDS);
            }
        });
    }

    void stop() {
        ctx.executor().execute(() -> {
            sending = false;
            window = 0;
            if (ticker != null) {
                ticker.cancel(false);
            }
        });
    }

    /** Sends a close frame (1000) and closes; this close is not counted as an error. */
    void close() {
        ctx.executor().execute(() -> {
            closingByUs = true;
            if (ticker != null) {
                ticker.cancel(false);
            }
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(new CloseWebSocketFrame(1000, "load test done"))
                        .addListener(future -> ctx.close());
            }
        });
    }

    private void sendRequest() {
        if (!sending || !ctx.channel().isActive() || awaitingToken) {
            return;
        }
        long now = System.nanoTime();
        int ack = Math.min(owedAcks, WireFormat.MAX_ACK);
        owedAcks -= ack;
        ByteBuf frame = ctx.alloc().buffer(16);
        frame.writeByte(ack);
        if (protocol == WireFormat.PROTOCOL_PING) {
            frame.writeByte(TAG_CLIENT_TIME).writeLongLE(now);
        }
        else {
            frame.writeByte(0x80 | (TAG_TIME_REQUEST & 0x7F)).writeByte(TAG_TIME_REQUEST >>> 7)
                    .writeByte(TIME_BODY_LENGTH).writeByte(TAG_CLIENT_TIME).writeLongLE(now);
        }
        unacked.add(now);
        inFlight++;
        stats.requestsSent.increment();
        ctx.writeAndFlush(new BinaryWebSocketFrame(frame), ctx.voidPromise());
    }

    private void flushAck() {
        ackFlushScheduled = false;
        if (owedAcks == 0 || !ctx.channel().isActive()) {
            return;
        }
        int ack = Math.min(owedAcks, WireFormat.MAX_ACK);
        owedAcks -= ack;
        stats.ackOnlySent.increment();
        ctx.writeAndFlush(new BinaryWebSocketFrame(ctx.alloc().buffer(1).writeByte(ack)), ctx.voidPromise());
        if (owedAcks > 0) {
            ackFlushScheduled = true;
            ctx.executor().schedule(this::flushAck, ackDelayNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (ticker != null) {
            ticker.cancel(false);
        }
        if (!awaitingToken) {
            stats.open.decrement();
        }
        recordClose(LoadStats.ABNORMAL_CLOSURE);
        handshake.complete(false);
        super.channelInactive(ctx);
    }

    private void recordClose(int code) {
        if (closeRecorded) {
            return;
        }
        closeRecorded = true;
        if (!closingByUs) {
            stats.closed(code);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        stats.error(cause.getClass().getSimpleName());
        ctx.close();
    }

    /** A growable FIFO of longs (send times), so unacked packets cost no boxing. */
    private static final class LongQueue {

        private long[] items = new long[8];
        private int head;
        private int size;

        void add(long value) {
            if (size == items.length) {
                long[] grown = new long[items.length * 2];
                for (int i = 0; i < size; i++) {
                    grown[i] = items[(head + i) & (items.length - 1)];
                }
                items = grown;
                head = 0;
            }
            items[(head + size) & (items.length - 1)] = value;
            size++;
        }

        long poll() {
            long value = items[head];
            head = (head + 1) & (items.length - 1);
            size--;
            return value;
        }

        int size() {
            return size;
        }
    }
}
