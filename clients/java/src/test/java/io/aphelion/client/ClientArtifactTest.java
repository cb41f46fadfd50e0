package io.aphelion.client;

import java.net.URI;
import java.nio.ByteBuffer;

import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client artifact on its own classpath: it carries the wire codec it shares with the server,
 * and nothing of the server (no Spring, no Jetty, no protobuf). Its behaviour against a real server
 * is tested by the server's suite and by examples/game, whose tests play through it.
 */
class ClientArtifactTest {

    @Test
    void noServerLibraryIsOnTheClientsClasspath() {
        for (String name : new String[] { "org.springframework.context.ApplicationContext",
                "org.eclipse.jetty.server.Server", "com.google.protobuf.MessageLite",
                "io.aphelion.server.session.PlayerSession" }) {
            assertThatThrownBy(() -> Class.forName(name)).as(name).isInstanceOf(ClassNotFoundException.class);
        }
    }

    @Test
    void theWireCodecComesWithIt() {
        SessionToken token = SessionToken.random(new java.security.SecureRandom());
        byte[] init = new InitPacket(WireFormat.PROTOCOL_GAME, 1, token).encode();

        assertThat(init).hasSize(WireFormat.C2S_INIT_LENGTH);
        assertThat(InitPacket.decode(ByteBuffer.wrap(init)).token()).isEqualTo(token);
    }

    @Test
    void aClientIsBuiltForAProtocolAndVersion() {
        AphelionClient client = AphelionClient.builder(URI.create("ws://127.0.0.1:1/aphelion"))
                .protocol(WireFormat.PROTOCOL_PING).version(1).build();

        assertThat(client).isNotNull();
    }
}
