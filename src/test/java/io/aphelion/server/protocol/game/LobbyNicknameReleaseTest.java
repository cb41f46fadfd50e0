package io.aphelion.server.protocol.game;

import java.time.Duration;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.game.AuthenticateResponse;
import io.aphelion.proto.game.S2C;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;

import static io.aphelion.server.protocol.game.GameMessages.parse;
import static io.aphelion.server.protocol.game.GameMessages.uniqueNickname;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A nickname belongs to its session until the session ends: held while the session waits to be
 * resumed, free once it expired. Short expiry, so its own context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "aphelion.session.expiry=2s")
class LobbyNicknameReleaseTest extends ServerTestSupport {

    @Test
    void nicknameIsFreeOnceTheSessionExpired() {
        AphelionClient client = client(WireFormat.PROTOCOL_GAME);
        String nickname = uniqueNickname("Free");
        RecordingListener firstListener = new RecordingListener();
        AphelionConnection first = connect(client, firstListener);
        assertThat(authenticate(first, firstListener, nickname)).isEqualTo(AuthenticateResponse.Error.OK);

        first.abort();

        // Expired 2s after the server saw the connection drop: the token then starts a new session.
        await().pollDelay(Duration.ofSeconds(2)).atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> connect(client, first.token(), new RecordingListener()).isNewSession());
        RecordingListener secondListener = new RecordingListener();
        AphelionConnection second = connect(client, secondListener);
        assertThat(authenticate(second, secondListener, nickname)).isEqualTo(AuthenticateResponse.Error.OK);
    }

    @Test
    void nicknameIsKeptWhenTheSessionIsResumed() {
        AphelionClient client = client(WireFormat.PROTOCOL_GAME);
        String nickname = uniqueNickname("Keep");
        RecordingListener listener = new RecordingListener();
        AphelionConnection first = connect(client, listener);
        assertThat(authenticate(first, listener, nickname)).isEqualTo(AuthenticateResponse.Error.OK);

        // 1001, as a browser leaving a page: the session waits for a resume (1000 would end it).
        first.close(CloseCodes.GOING_AWAY, "bye");
        closeStatus(first);
        AphelionConnection resumed = connect(client, first.token(), listener);
        assertThat(resumed.isNewSession()).isFalse();
        // The first answer may come again (at-least-once): skip to the answer of a time request.
        resumed.send(GameMessages.timeRequest(7));
        while (parse(listener.next(WAIT)).getTimeResponseCount() == 0) {
            // a re-sent answer
        }

        assertThat(authenticate(resumed, listener, uniqueNickname("Again")))
                .isEqualTo(AuthenticateResponse.Error.ALREADY_AUTHENTICATED);
        RecordingListener otherListener = new RecordingListener();
        AphelionConnection other = connect(client, otherListener);
        assertThat(authenticate(other, otherListener, nickname)).isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);
    }

    private static AuthenticateResponse.Error authenticate(AphelionConnection connection, RecordingListener listener,
            String nickname) {
        connection.send(GameMessages.authenticate(nickname));
        S2C reply = parse(listener.next(WAIT));
        return reply.getAuthenticateResponse(0).getError();
    }
}
