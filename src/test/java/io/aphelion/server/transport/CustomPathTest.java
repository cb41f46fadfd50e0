package io.aphelion.server.transport;

import java.net.URI;

import io.aphelion.client.AphelionClient;
import io.aphelion.server.testing.RawWebSocket;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code aphelion.websocket.path} moves the endpoint; the default path is then not upgraded. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "aphelion.websocket.path=/game/ws")
class CustomPathTest extends ServerTestSupport {

    @Test
    void endpointServesTheConfiguredPathOnly() throws Exception {
        assertThat(RawWebSocket.upgradeStatus(port, "/game/ws")).contains("101");
        assertThat(RawWebSocket.upgradeStatus(port, "/aphelion")).doesNotContain("101");
        AphelionClient client = client(AphelionClient.builder(URI.create("ws://127.0.0.1:" + port + "/game/ws"))
                .protocol(WireFormat.PROTOCOL_PING).version(1));
        assertThat(connect(client, new RecordingListener()).token()).isNotNull();
    }
}
