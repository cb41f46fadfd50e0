package io.aphelion.loadtest.baseline;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import io.aphelion.wire.WireFormat;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

/**
 * The baseline: the least a JVM server must do to speak the transport's framing, on raw Netty.
 * The 39-byte init packet gets a 32-byte random token (4003 for any other length); every packet
 * with a payload is echoed at once with the acks owed; nothing else (no sessions, no protobuf,
 * no executor). Ping answers are valid ping {@code S2C} messages because ping {@code C2S} and
 * {@code S2C} share field 1 ({@code client_time}).
 *
 * <p>Also answers {@code GET /actuator/metrics/jvm.memory.used} with the heap in use, in
 * Actuator's JSON shape, so the load tool reads both servers the same way.
 *
 * <pre>java -cp ... io.aphelion.loadtest.baseline.NettyBaselineServer PORT [THREADS]</pre>
 */
public final class NettyBaselineServer {

    private static final String PATH = "/aphelion";
    private static final int MAX_FRAME = 64 * 1024;

    private NettyBaselineServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8090;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
        SecureRandom random = new SecureRandom();
        WebSocketServerProtocolConfig config = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(PATH)
                .maxFramePayloadLength(MAX_FRAME)
                .handleCloseFrames(true)
                .build();
        try {
            Channel server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                    new MetricsHandler(), new WebSocketServerProtocolHandler(config),
                                    new EchoHandler(random));
                        }
                    })
                    .bind("127.0.0.1", port).sync().channel();
            System.out.println("Netty baseline listening on ws://127.0.0.1:" + port + PATH);
            server.closeFuture().sync();
        }
        finally {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
        }
    }

    /** Serves the heap metric; passes every other request on to the websocket upgrade. */
    private static final class MetricsHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

        MetricsHandler() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (!request.uri().startsWith("/actuator/metrics/jvm.memory.used")) {
                ctx.fireChannelRead(request);
                return;
            }
            request.release();
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            String body = "{\"name\":\"jvm.memory.used\",\"measurements\":[{\"statistic\":\"VALUE\",\"value\":" + used + "}]}";
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Per websocket: the init exchange, then echo with acks. Runs on the channel's event loop. */
    private static final class EchoHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

        private final SecureRandom random;
        private boolean open;
        /** Payload packets received and not yet acked. */
        private int owed;

        EchoHandler(SecureRandom random) {
            this.random = random;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (!(frame instanceof BinaryWebSocketFrame)) {
                ctx.writeAndFlush(new CloseWebSocketFrame(1003, "binary only")).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ByteBuf in = frame.content();
            if (!open) {
                if (in.readableBytes() != WireFormat.C2S_INIT_LENGTH) {
                    ctx.writeAndFlush(new CloseWebSocketFrame(4003, "malformed init")).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                byte[] token = new byte[WireFormat.S2C_INIT_LENGTH];
                random.nextBytes(token);
                open = true;
                ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(token)));
                return;
            }
            if (!in.isReadable()) {
                ctx.writeAndFlush(new CloseWebSocketFrame(1002, "empty frame")).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            in.skipBytes(WireFormat.ACK_LENGTH);
            if (!in.isReadable()) {
                return;
            }
            owed++;
            int ack = Math.min(owed, WireFormat.MAX_ACK);
            owed -= ack;
            ByteBuf out = ctx.alloc().buffer(WireFormat.ACK_LENGTH + in.readableBytes());
            out.writeByte(ack).writeBytes(in);
            ctx.writeAndFlush(new BinaryWebSocketFrame(out), ctx.voidPromise());
        }
    }
}
