package io.aphelion.loadtest;

import java.net.InetSocketAddress;
import java.util.stream.Stream;

import io.aphelion.loadtest.baseline.NettyBaselineServer;
import io.aphelion.loadtest.baseline.TunedNettyServer;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollServerSocketChannel;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bench's JVM peers (the Netty baseline and the tuned Netty peer), each started in this JVM on
 * a free loopback port: both speak the same framing to the byte and serve the load client; the
 * tuned one really runs on epoll. The uWebSockets.js peer gets the same checks in {@code UwsPeerIT}.
 * A peer that never answers fails at the timeout (the load client waits for init replies unbounded).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BenchPeersTest {

    private Channel peer;

    @AfterEach
    void stopPeer() {
        if (peer != null) {
            peer.close().syncUninterruptibly();
        }
    }

    static Stream<NettyBaselineServer.Tuning> tunings() {
        return Stream.of(NettyBaselineServer.Tuning.BASELINE, TunedNettyServer.TUNING);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tunings")
    void nettyPeerSpeaksTheBaselineFraming(NettyBaselineServer.Tuning tuning) throws Exception {
        PeerChecks.speaksTheBaselineFraming(start(tuning));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tunings")
    void nettyPeerServesTheLoadClientAndItsHeapMetric(NettyBaselineServer.Tuning tuning) throws Exception {
        int port = start(tuning);
        PeerChecks.servesTheLoadClient(port);
        assertThat(new ServerProbe("http://127.0.0.1:" + port, 0).heapUsed()).as("heap in use").isPositive();
    }

    @Test
    void tunedPeerRunsOnEpoll() {
        start(TunedNettyServer.TUNING);
        assertThat(peer).isInstanceOf(EpollServerSocketChannel.class);
    }

    private int start(NettyBaselineServer.Tuning tuning) {
        peer = NettyBaselineServer.start("127.0.0.1", 0, 1, tuning);
        return ((InetSocketAddress) peer.localAddress()).getPort();
    }
}
