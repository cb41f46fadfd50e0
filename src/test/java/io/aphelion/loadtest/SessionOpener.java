package io.aphelion.loadtest;

import java.util.concurrent.CompletableFuture;

import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * The first connection of a load session opened with {@code --session-url}: asks for a new
 * session (init packet without a token) and keeps the token of the reply. Then, by default, it
 * closes with 4005, an ordinary close that leaves the session alive for its expiry: on another
 * cluster node the measured {@link LoadConnection} then presents a token whose session has no
 * connection left, and the session moves there. Kept open ({@code --session-connection keep}),
 * it stays idle for the whole run, so the session keeps a connection on the node that owns it and
 * the measured connection on another node is relayed.
 *
 * <p>A kept connection answers the server's websocket pings (Netty's client protocol handler
 * sends the pongs, below this handler) and acks every payload packet at once in an ack-only
 * packet, so neither the keepalive nor the ack timeout closes it. Such a packet is an answer the
 * session routed here instead of to the measured connection: it is counted
 * ({@link LoadStats#keptConnectionPackets}), since its round trip was not measured.
 *
 * <p>Threads: every method runs on the channel's event loop, except {@link #closeKept}, which
 * hops onto it; {@link #opened} and {@link #token} are read once {@link #opened} completed.
 */
final class SessionOpener extends AphelionClientHandler {

    private final int protocol;
    private final LoadStats stats;
    /** Whether the connection stays open once the token arrived, instead of closing with 4005. */
    private final boolean keep;
    /** Completes with true once the token arrived (the close follows), false when the connection failed first. */
    final CompletableFuture<Boolean> opened = new CompletableFuture<>();
    /** The session's token; null until {@link #opened} completed with true. */
    volatile SessionToken token;

    SessionOpener(int protocol, LoadStats stats, boolean keep) {
        this.protocol = protocol;
        this.stats = stats;
        this.keep = keep;
    }

    @Override
    protected byte[] initPacket() {
        return InitPacket.newSession(protocol, 1).encode();
    }

    @Override
    protected void upgradeTimedOut() {
        stats.error("session url: upgrade timeout");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof BinaryWebSocketFrame binary) {
            if (token == null && !opened.isDone()) {
                onInitReply(ctx, binary);
            }
            else if (keep && token != null) {
                onPacket(ctx, binary);
            }
        }
        else if (frame instanceof CloseWebSocketFrame close) {
            if (!closedByUs) {
                stats.error("session url: closed " + close.statusCode()
                        + (token == null ? " before the token" : " while kept open"));
            }
            ctx.close();
        }
    }

    private void onInitReply(ChannelHandlerContext ctx, BinaryWebSocketFrame frame) {
        try {
            token = InitPacket.decodeReply(frame.content().nioBuffer());
        }
        catch (RuntimeException ex) {
            stats.error("session url: init reply of " + frame.content().readableBytes() + " bytes");
            opened.complete(false);
            ctx.close();
            return;
        }
        opened.complete(true);
        if (!keep) {
            closeByUs(CloseCodes.NEW_SESSION_CLOSING_OLD, "session opened for the load run");
        }
    }

    /** A packet on a kept connection: acks its payload at once (an ack-only packet is not acked). */
    private void onPacket(ChannelHandlerContext ctx, BinaryWebSocketFrame frame) {
        if (frame.content().readableBytes() <= 1) {
            return;
        }
        stats.keptConnectionPackets.increment();
        ctx.writeAndFlush(new BinaryWebSocketFrame(ctx.alloc().buffer(1).writeByte(1)), ctx.voidPromise());
    }

    /** Closes a kept connection with 1000 (any thread); the future completes once its channel closed. */
    CompletableFuture<Void> closeKept(String reason) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        if (ctx == null) {
            closed.complete(null);
            return closed;
        }
        ctx.channel().closeFuture().addListener(done -> closed.complete(null));
        closeNormally(reason);
        return closed;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!opened.isDone()) {
            stats.error("session url: connection lost before the token");
        }
        else if (keep && token != null && !closedByUs) {
            stats.error("session url: kept connection lost");
        }
        opened.complete(false);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        stats.error("session url: " + cause.getClass().getSimpleName());
        ctx.close();
    }
}
