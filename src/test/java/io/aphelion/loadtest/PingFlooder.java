package io.aphelion.loadtest;

import io.aphelion.wire.InitPacket;
import io.aphelion.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * A soak client of protocol 1 that sends ping packets as fast as its socket takes them, while
 * the run is sending, acking the answers on the pings themselves. It stops by itself when the
 * run stops sending. On its channel's event loop.
 */
final class PingFlooder extends AphelionClientHandler {

    /** Tag of ping {@code C2S.client_time} (field 1, fixed64). */
    private static final int TAG_CLIENT_TIME = (1 << 3) | 1;
    /** Pings written per turn of the event loop, so the flooder shares its loop with the game clients. */
    private static final int BATCH = 64;

    private final SoakRun run;    private boolean awaitingToken = true;
    private int owed;
    long pingsSent;
    long answers;
    int closeCode;
    boolean connected;

    PingFlooder(SoakRun run) {
        this.run = run;
    }

    @Override
    protected byte[] initPacket() {
        return InitPacket.newSession(WireFormat.PROTOCOL_PING, 1).encode();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof CloseWebSocketFrame close) {
            closeCode = close.statusCode();
            ctx.close();
            return;
        }
        if (!(frame instanceof BinaryWebSocketFrame binary)) {
            return;
        }
        if (awaitingToken) {
            awaitingToken = false;
            connected = true;
            flood();
            return;
        }
        if (binary.content().readableBytes() > 1) {
            answers++;
            owed++;
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            flood();
        }
        super.channelWritabilityChanged(ctx);
    }

    private void flood() {
        if (!run.sending() || !ctx.channel().isActive()) {
            return;
        }
        for (int i = 0; i < BATCH && ctx.channel().isWritable(); i++) {
            int ack = Math.min(owed, WireFormat.MAX_ACK);
            owed -= ack;
            ByteBuf frame = ctx.alloc().buffer(10).writeByte(ack).writeByte(TAG_CLIENT_TIME).writeLongLE(System.nanoTime());
            ctx.write(new BinaryWebSocketFrame(frame), ctx.voidPromise());
            pingsSent++;
        }
        ctx.flush();
        if (ctx.channel().isWritable()) {
            ctx.executor().execute(this::flood);
        }
    }

    void close() {
        closeNormally("soak done");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
