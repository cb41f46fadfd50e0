package io.aphelion.loadtest.baseline;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.function.Supplier;

import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
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
 * <p>The same server, with the transport, allocator and flushing of a {@link Tuning}, is the tuned
 * Netty peer ({@link TunedNettyServer}); {@link Tuning#BASELINE} leaves all three at Netty's defaults.
 *
 * <pre>java -cp ... io.aphelion.loadtest.baseline.NettyBaselineServer PORT [THREADS]</pre>
 */
public final class NettyBaselineServer {

    private static final String PATH = "/aphelion";
    private static final int MAX_FRAME = 64 * 1024;

    /**
     * What the baseline leaves at Netty's defaults and the tuned peer sets.
     *
     * @param name what the server calls itself when it listens
     * @param io the event loops' I/O (NIO, epoll)
     * @param channel the listening socket's class, of the same transport as {@code io}
     * @param allocator the connections' buffer allocator; null: Netty's default
     * @param flushPerReadBatch answers are written as frames are read and flushed once when the read
     *        batch ends; false: each answer is flushed on its own
     */
    public record Tuning(String name, Supplier<IoHandlerFactory> io, Class<? extends ServerChannel> channel,
            ByteBufAllocator allocator, boolean flushPerReadBatch) {

        /** NIO, Netty's default allocator, a flush per answer. */
        public static final Tuning BASELINE = new Tuning("Netty baseline", NioIoHandler::newFactory, NioServerSocketChannel.class,
                null, false);

        @Override
        public String toString() {
            return name;
        }
    }

    private NettyBaselineServer() {
    }

    public static void main(String[] args) {
        serve(args, 8090, Tuning.BASELINE);
    }

    /** The command line of a peer: {@code PORT [THREADS]} (0 threads: Netty's default); runs until killed. */
    static void serve(String[] args, int defaultPort, Tuning tuning) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : defaultPort;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        Channel server = start("127.0.0.1", port, threads, tuning);
        System.out.println(tuning.name() + " listening on ws://127.0.0.1:" + port + PATH);
        server.closeFuture().syncUninterruptibly();
    }

    /**
     * Starts a server on {@code host:port} (port 0: any free one) with {@code threads} event loops
     * (0: Netty's default). Closing the returned channel stops it.
     *
     * @throws IllegalStateException when it cannot listen there
     */
    public static Channel start(String host, int port, int threads, Tuning tuning) {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, tuning.io().get());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(threads, tuning.io().get());
        SecureRandom random = new SecureRandom();
        WebSocketServerProtocolConfig config = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(PATH)
                .maxFramePayloadLength(MAX_FRAME)
                .handleCloseFrames(true)
                .build();
        ServerBootstrap bootstrap = new ServerBootstrap().group(boss, workers).channel(tuning.channel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                new MetricsHandler(), new WebSocketServerProtocolHandler(config),
                                new EchoHandler(random, tuning.flushPerReadBatch()));
                    }
                });
        if (tuning.allocator() != null) {
            bootstrap.childOption(ChannelOption.ALLOCATOR, tuning.allocator());
        }
        Runnable stop = () -> {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
        };
        ChannelFuture bound = bootstrap.bind(host, port).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            stop.run();
            throw new IllegalStateException(tuning.name() + " cannot listen on " + host + ":" + port, bound.cause());
        }
        bound.channel().closeFuture().addListener(closed -> stop.run());
        return bound.channel();
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

    /**
     * Per websocket: the init exchange, then echo with acks. Runs on the channel's event loop; with
     * {@code flushPerReadBatch} the answers to one read batch leave in one flush, in
     * {@link #channelReadComplete}.
     */
    private static final class EchoHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

        private final SecureRandom random;
        private final boolean flushPerReadBatch;
        private boolean open;
        /** Payload packets received and not yet acked. */
        private int owed;
        /** Answers written since the last flush (flushPerReadBatch only). */
        private boolean unflushed;

        EchoHandler(SecureRandom random, boolean flushPerReadBatch) {
            this.random = random;
            this.flushPerReadBatch = flushPerReadBatch;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (!(frame instanceof BinaryWebSocketFrame)) {
                close(ctx, CloseCodes.UNSUPPORTED_DATA, "binary only");
                return;
            }
            ByteBuf in = frame.content();
            if (!open) {
                if (in.readableBytes() != WireFormat.C2S_INIT_LENGTH) {
                    close(ctx, CloseCodes.MALFORMED_INIT, "malformed init");
                    return;
                }
                byte[] token = new byte[WireFormat.S2C_INIT_LENGTH];
                random.nextBytes(token);
                open = true;
                send(ctx, Unpooled.wrappedBuffer(token));
                return;
            }
            if (!in.isReadable()) {
                close(ctx, CloseCodes.PROTOCOL_ERROR, "empty frame");
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
            send(ctx, out);
        }

        private void send(ChannelHandlerContext ctx, ByteBuf packet) {
            BinaryWebSocketFrame frame = new BinaryWebSocketFrame(packet);
            if (flushPerReadBatch) {
                ctx.write(frame, ctx.voidPromise());
                unflushed = true;
            }
            else {
                ctx.writeAndFlush(frame, ctx.voidPromise());
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (unflushed) {
                unflushed = false;
                ctx.flush();
            }
            ctx.fireChannelReadComplete();
        }

        private static void close(ChannelHandlerContext ctx, int code, String reason) {
            ctx.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
