package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code aphelion.websocket.trusted-proxies} over real sockets: the test client connects from
 * 127.0.0.1, which this server trusts, so its X-Forwarded-For header names the client.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "aphelion.websocket.trusted-proxies=127.0.0.1,::1")
class ForwardedClientAddressTest extends ServerTestSupport {

    @Autowired
    private SessionRegistry sessions;

    @Test
    void trustedProxyForwardsTheRightMostUntrustedAddress() {
        AphelionConnection connection = connect(client(AphelionClient.builder(uri()).protocol(WireFormat.PROTOCOL_PING)
                .version(1).header("X-Forwarded-For", "198.51.100.66, 203.0.113.7, 127.0.0.1")), new RecordingListener());

        InetSocketAddress remote = remoteAddress(sessions, connection).orElseThrow();

        assertThat(remote.getAddress().getHostAddress()).isEqualTo("203.0.113.7");
        assertThat(remote.getPort()).isZero();
    }

    @Test
    void withoutTheHeaderTheClientIsTheSocketPeer() {
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), new RecordingListener());

        InetSocketAddress remote = remoteAddress(sessions, connection).orElseThrow();

        assertThat(remote.getAddress().isLoopbackAddress()).isTrue();
        assertThat(remote.getPort()).isPositive();
    }

    /** The remote address of the ping session that {@code connection} joined. */
    static Optional<InetSocketAddress> remoteAddress(SessionRegistry sessions, AphelionConnection connection) {
        AtomicReference<InetSocketAddress> found = new AtomicReference<>();
        sessions.forEach(WireFormat.PROTOCOL_PING, session -> {
            if (session.token().equals(connection.token())) {
                found.set(session.remoteAddress());
            }
        });
        return Optional.ofNullable(found.get());
    }
}
