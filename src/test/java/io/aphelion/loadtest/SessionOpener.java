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
 * session (init packet without a token), keeps the token of the reply, and closes with 4005, an
 * ordinary close that leaves the session alive for its expiry. The measured {@link LoadConnection}
 * then presents that token elsewhere: on another cluster node than this one, it is relayed to
 * the node where the session was created.
 *
 * <p>Threads: every method runs on the channel's event loop; {@link #opened} and {@link #token}
 * are read once {@link #opened} completed.
 */
final class SessionOpener extends AphelionClientHandler {

    private final int protocol;
    private final LoadStats stats;
    /** Completes with true once the token arrived (the close follows), false when the connection failed first. */
    final CompletableFuture<Boolean> opened = new CompletableFuture<>();
    /** The session's token; null until {@link #opened} completed with true. */
    volatile SessionToken token;

    SessionOpener(int protocol, LoadStats stats) {
        this.protocol = protocol;
        this.stats = stats;
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
        if (frame instanceof BinaryWebSocketFrame && token == null && !opened.isDone()) {
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
            closeByUs(CloseCodes.NEW_SESSION_CLOSING_OLD, "session opened for the load run");
        }
        else if (frame instanceof CloseWebSocketFrame close) {
            if (!closedByUs) {
                stats.error("session url: closed " + close.statusCode() + " before the token");
            }
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!opened.isDone()) {
            stats.error("session url: connection lost before the token");
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
