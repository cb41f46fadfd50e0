package io.aphelion.server.protocol.game;

import com.google.protobuf.InvalidProtocolBufferException;

import com.example.dice.DiceGame;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.test.dice.DiceC2S;
import io.aphelion.test.dice.DiceS2C;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A game with its own protobuf messages ({@code src/test/proto/dice_game.proto}, not game.proto):
 * its {@link GameService} bean replaces the lobby, the server parses payloads with the game's
 * parser (1007 for one that is not a {@code DiceC2S}) and sends the game's {@code DiceS2C}; the
 * session's protocol version is visible to the game. Versions 1-2 served, so its own context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "aphelion.protocols.game.max-version=2")
class OwnMessagesGameTest extends ServerTestSupport {

    @TestConfiguration(proxyBeanMethods = false)
    static class DiceConfiguration {

        @Bean
        DiceGame diceGame() {
            return new DiceGame();
        }
    }

    @Autowired
    private GameService<?, ?> service;

    @Test
    void theGamesOwnServiceReplacesTheLobby() {
        assertThat(service).isInstanceOf(DiceGame.class);
    }

    @Test
    void theGamesOwnMessagesGoBothWays() throws InvalidProtocolBufferException {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_GAME), listener);

        connection.send(DiceC2S.newBuilder().setRoll(3).build().toByteArray());

        DiceS2C answer = DiceS2C.parseFrom(listener.next(WAIT));
        assertThat(answer.getFacesList()).containsExactly(6, 6, 6);
        assertThat(answer.getVersion()).isEqualTo(1);
    }

    @Test
    void theGameSeesTheVersionTheSessionSpeaks() throws InvalidProtocolBufferException {
        RecordingListener listener = new RecordingListener();
        AphelionClient client = client(AphelionClient.builder(uri()).protocol(WireFormat.PROTOCOL_GAME).version(2));
        AphelionConnection connection = connect(client, listener);

        connection.send(DiceC2S.newBuilder().setRoll(1).build().toByteArray());

        assertThat(DiceS2C.parseFrom(listener.next(WAIT)).getVersion()).isEqualTo(2);
    }

    @Test
    void aPayloadThatIsNotTheGamesC2SClosesWith1007() {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_GAME), listener);

        // Field 1's varint is cut off: not a DiceC2S (nor any protobuf message).
        connection.send(new byte[] { 0x08, (byte) 0x80 });

        assertThat(closeStatus(connection).code()).isEqualTo(CloseCodes.INVALID_PAYLOAD);
    }
}
