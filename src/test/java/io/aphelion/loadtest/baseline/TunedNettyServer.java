package io.aphelion.loadtest.baseline;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;

/**
 * The tuned Netty peer: {@link NettyBaselineServer}'s protocol and handlers byte for byte, with what
 * a Netty server tuned for this load sets and the baseline leaves at Netty's defaults: the epoll
 * transport (native, Linux x86-64), pooled direct buffers, and one flush per read batch (answers
 * are written in {@code channelRead} and flushed in {@code channelReadComplete}, not flushed one
 * by one). Fails at start when epoll cannot be loaded, rather than falling back to NIO.
 *
 * <pre>java -cp ... io.aphelion.loadtest.baseline.TunedNettyServer PORT [THREADS]</pre>
 */
public final class TunedNettyServer {

    /** Epoll, a {@link PooledByteBufAllocator} that prefers direct buffers, a flush per read batch. */
    public static final NettyBaselineServer.Tuning TUNING = new NettyBaselineServer.Tuning("tuned Netty peer",
            EpollIoHandler::newFactory, EpollServerSocketChannel.class, new PooledByteBufAllocator(true), true);

    private TunedNettyServer() {
    }

    public static void main(String[] args) {
        NettyBaselineServer.serve(args, 8091, TUNING);
    }
}
