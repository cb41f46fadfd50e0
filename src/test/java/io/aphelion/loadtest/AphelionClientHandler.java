package io.aphelion.loadtest;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * What every Netty client of the load tools does first: keep its channel context, and send the
 * 39-byte init packet as soon as the websocket upgrade completed. Subclasses read the frames.
 * Netty event-loop thread only.
 */
abstract class AphelionClientHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

    /** This handler's context, from the moment it is added to the pipeline. */
    protected ChannelHandlerContext ctx;
    /** Whether this side closed (with {@link #closeByUs}), so a close that follows is not the server's doing. */
    protected boolean closedByUs;

    /** The init packet to send once the upgrade completed (a new session, or a token's). */
    protected abstract byte[] initPacket();

    /** Sends a close frame with this code and closes the channel once it is written. Event-loop thread. */
    void closeByUs(int code, String reason) {
        closedByUs = true;
        if (ctx != null && ctx.channel().isActive()) {
            ctx.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(done -> ctx.close());
        }
    }

    /** {@link #closeByUs} with 1000, from any thread. */
    void closeNormally(String reason) {
        ctx.executor().execute(() -> closeByUs(1000, reason));
    }

    /** The upgrade did not complete in time. */
    protected void upgradeTimedOut() {
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            byte[] init = initPacket();
            ctx.writeAndFlush(new BinaryWebSocketFrame(ctx.alloc().buffer(init.length).writeBytes(init)));
        }
        else if (event == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            upgradeTimedOut();
        }
        super.userEventTriggered(ctx, event);
    }
}
