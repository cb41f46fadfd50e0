package io.aphelion.server.transport;

import java.net.InetSocketAddress;

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
 * X-Forwarded-For from a peer that is not a trusted proxy is ignored: here only 127.0.0.2 is
 * trusted and the test client connects from 127.0.0.1.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "aphelion.websocket.trusted-proxies=127.0.0.2")
class UntrustedForwardedForTest extends ServerTestSupport {

    @Autowired
    private SessionRegistry sessions;

    @Test
    void headerFromAnUntrustedPeerIsIgnored() {
        AphelionConnection connection = connect(client(AphelionClient.builder(uri()).protocol(WireFormat.PROTOCOL_PING)
                .version(1).header("X-Forwarded-For", "203.0.113.7")), new RecordingListener());

        InetSocketAddress remote = ForwardedClientAddressTest.remoteAddress(sessions, connection).orElseThrow();

        assertThat(remote.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(remote.getPort()).isPositive();
    }
}
