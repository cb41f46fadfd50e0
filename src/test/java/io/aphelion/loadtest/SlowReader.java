package io.aphelion.loadtest;

import com.google.protobuf.InvalidProtocolBufferException;

import io.aphelion.proto.game.Authenticate;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.S2C;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * A soak client that authenticates in the lobby (so every chat line is broadcast to it too) and
 * then stops reading: its socket's receive window fills and the server must hold, bound or drop
 * what it has for it without disturbing anyone else. At the end it reads again to see how the
 * server treated it. On its channel's event loop.
 */
final class SlowReader extends AphelionClientHandler {

    private final SoakRun run;
    private final String nickname;    private boolean awaitingToken = true;
    private boolean stalled;
    /** Packets read, before the stall and after the end. */
    long packetsRead;
    /** The close code the server sent, or 0. */
    int closeCode;
    boolean connected;
    /** The connection closed before we closed it (the server closed it, with or without a close frame). */
    boolean closedBeforeUs;

    SlowReader(SoakRun run, int index) {
        this.run = run;
        this.nickname = "Slow" + run.tag() + "_" + index;
    }

    @Override
    protected byte[] initPacket() {
        return InitPacket.newSession(WireFormat.PROTOCOL_GAME, 1).encode();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) throws InvalidProtocolBufferException {
        if (frame instanceof CloseWebSocketFrame close) {
            closeCode = close.statusCode();
            ctx.close();
            return;
        }
        if (!(frame instanceof BinaryWebSocketFrame)) {
            return;
        }
        ByteBuf content = frame.content();
        if (awaitingToken) {
            awaitingToken = false;
            connected = true;
            byte[] auth = C2S.newBuilder().addAuthenticate(Authenticate.newBuilder().setNickname(nickname)).build().toByteArray();
            ctx.writeAndFlush(new BinaryWebSocketFrame(ctx.alloc().buffer(1 + auth.length).writeByte(0).writeBytes(auth)));
            return;
        }
        packetsRead++;
        if (!stalled && content.readableBytes() > 1
                && S2C.parseFrom(ByteBufUtil.getBytes(content, 1, content.readableBytes() - 1)).getAuthenticateResponseCount() > 0) {
            // Authenticated (its ack byte acks our packet): from now on, read nothing.
            stalled = true;
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Reads again (at the end of the run), so a close the server sent meanwhile is seen. */
    void resumeReading() {
        ctx.executor().execute(() -> {
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        });
    }

    void close() {
        closeNormally("soak done");
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closedBeforeUs = !closedByUs;
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
