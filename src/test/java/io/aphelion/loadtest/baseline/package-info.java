/**
 * The JVM peers of the comparison: the transport's framing on raw Netty, nothing else, as Netty
 * leaves it ({@link io.aphelion.loadtest.baseline.NettyBaselineServer}, the baseline) and tuned
 * ({@link io.aphelion.loadtest.baseline.TunedNettyServer}: epoll, pooled direct buffers, a flush per read batch).
 */
package io.aphelion.loadtest.baseline;
