package io.aphelion.server.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.game.Authenticate;
import io.aphelion.proto.game.C2S;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.server.transport.OpenWebSockets;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Nothing outlives its session (the original server leaked empty session entries forever): after
 * clients leave in every way there is (abort, close, 4005, a protocol error), every session
 * expires and the registry, the connection and websocket counts and the send buffers are empty.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "aphelion.session.expiry=1s")
class NoLeakIntegrationTest extends ServerTestSupport {

    @Autowired
    private SessionRegistry registry;

    @Autowired
    private OpenWebSockets openWebSockets;

    @Test
    void everySessionEndsAndNothingIsLeftAfterClientsLeaveInEveryWay() throws Exception {
        AphelionClient client = client(WireFormat.PROTOCOL_GAME);
        List<AphelionConnection> connections = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            RecordingListener listener = new RecordingListener();
            AphelionConnection first = connect(client, listener);
            AphelionConnection second = connect(client, first.token(), new RecordingListener());
            first.send(C2S.newBuilder().addAuthenticate(Authenticate.newBuilder().setNickname("Player" + i)).build()
                    .toByteArray());
            listener.next();
            connections.add(first);
            connections.add(second);
        }
        assertThat(registry.liveSessions(WireFormat.PROTOCOL_GAME)).isGreaterThanOrEqualTo(40);

        for (int i = 0; i < connections.size(); i++) {
            AphelionConnection connection = connections.get(i);
            switch (i % 4) {
                case 0 -> connection.abort();
                case 1 -> connection.close(CloseCodes.NORMAL, "bye");
                case 2 -> connection.close(CloseCodes.NEW_SESSION_CLOSING_OLD, "old session");
                default -> connection.sendRaw(new byte[] { (byte) 250 });
            }
        }

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(registry.liveSessions()).isZero();
            assertThat(registry.connectedSessions(WireFormat.PROTOCOL_GAME)).isZero();
            assertThat(registry.openConnections()).isZero();
            assertThat(registry.bufferedMessages()).isZero();
            assertThat(openWebSockets.count()).isZero();
        });
        // The nicknames were freed with their sessions: a new session can take one again.
        RecordingListener listener = new RecordingListener();
        AphelionConnection again = connect(client, listener);
        again.send(C2S.newBuilder().addAuthenticate(Authenticate.newBuilder().setNickname("Player0")).build()
                .toByteArray());
        assertThat(io.aphelion.proto.game.S2C.parseFrom(listener.next()).getAuthenticateResponse(0).getError())
                .isEqualTo(io.aphelion.proto.game.AuthenticateResponse.Error.OK);
    }
}
