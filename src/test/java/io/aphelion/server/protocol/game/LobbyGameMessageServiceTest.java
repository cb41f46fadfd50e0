package io.aphelion.server.protocol.game;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import com.google.protobuf.UnknownFieldSet;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.game.AuthenticateResponse;
import io.aphelion.proto.game.LocalChatMessage;
import io.aphelion.proto.game.S2C;
import io.aphelion.proto.game.TimeResponse;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static io.aphelion.server.protocol.game.GameMessages.authenticate;
import static io.aphelion.server.protocol.game.GameMessages.chat;
import static io.aphelion.server.protocol.game.GameMessages.parse;
import static io.aphelion.server.protocol.game.GameMessages.rawEmbedded;
import static io.aphelion.server.protocol.game.GameMessages.timeRequest;
import static io.aphelion.server.protocol.game.GameMessages.uniqueNickname;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The default lobby over real sockets: nickname rules, duplicates, response codes and their
 * presence on the wire, time sync, and chat.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class LobbyGameMessageServiceTest extends ServerTestSupport {

    /** Field numbers as the original clients read them (PRODUCT.md "Protocol 2"). */
    private static final int S2C_AUTHENTICATE_RESPONSE = 101;
    private static final int S2C_TIME_RESPONSE = 102;
    private static final int S2C_LOCAL_CHAT_MESSAGE = 200;
    private static final int CHAT_MESSAGE = 2;
    private static final int ERROR = 1;
    private static final int CLIENT_TIME = 1;
    private static final int SERVER_TIME = 2;

    @Autowired
    private GameMessageService service;

    private AphelionClient client;

    @BeforeEach
    void createClient() {
        client = client(WireFormat.PROTOCOL_GAME);
    }

    @Test
    void lobbyIsTheDefaultService() {
        assertThat(service).isInstanceOf(LobbyGameMessageService.class);
    }

    static Stream<String> validNicknames() {
        return Stream.of("", "Z", "x9", "a-[]\\`^{}_ b", "q w e", "k" + "0".repeat(Nicknames.MAX_LENGTH - 10));
    }

    @ParameterizedTest
    @MethodSource("validNicknames")
    void validNicknameIsAccepted(String suffix) {
        // A random letter-first stem keeps each nickname unique; the suffix is what is tested.
        String nickname = uniqueNickname("V") + suffix;
        assertThat(nickname).hasSizeLessThanOrEqualTo(Nicknames.MAX_LENGTH);

        AuthenticateResponse response = newPlayer().authenticate(nickname);

        assertThat(response.getError()).isEqualTo(AuthenticateResponse.Error.OK);
        assertThat(response.getErrorDescription()).isEmpty();
    }

    @Test
    void nicknameOfMaxLengthIsAcceptedAndOneLongerIsRefused() {
        String stem = uniqueNickname("M");
        String longest = stem + "x".repeat(Nicknames.MAX_LENGTH - stem.length());

        assertThat(newPlayer().authenticate(longest + "y").getError()).isEqualTo(AuthenticateResponse.Error.INVALID_NICKNAME);
        assertThat(newPlayer().authenticate(longest).getError()).isEqualTo(AuthenticateResponse.Error.OK);
    }

    @ParameterizedTest
    @MethodSource("invalidNicknames")
    void invalidNicknameIsRefusedWithError3(String nickname) {
        AuthenticateResponse response = newPlayer().authenticate(nickname);

        assertThat(response.getError()).isEqualTo(AuthenticateResponse.Error.INVALID_NICKNAME);
        assertThat(response.getErrorDescription()).isNotEmpty();
    }

    static Stream<String> invalidNicknames() {
        return Stream.of("", "1abc", "_abc", "-abc", "[abc", " abc", "a.b", "a@b", "a|b", "a\tb", "\u00e9abc", "ab\u00e9",
                "a\nb", "a" + "b".repeat(Nicknames.MAX_LENGTH));
    }

    @Test
    void refusedSessionMayTryAnotherNickname() {
        Player player = newPlayer();

        assertThat(player.authenticate("9lives").getError()).isEqualTo(AuthenticateResponse.Error.INVALID_NICKNAME);
        assertThat(player.authenticate(uniqueNickname("R")).getError()).isEqualTo(AuthenticateResponse.Error.OK);
    }

    @Test
    void duplicateNicknameIsRefusedIgnoringCase() {
        String nickname = uniqueNickname("Dup");
        assertThat(newPlayer().authenticate(nickname).getError()).isEqualTo(AuthenticateResponse.Error.OK);

        AuthenticateResponse exact = newPlayer().authenticate(nickname);
        AuthenticateResponse otherCase = newPlayer().authenticate(nickname.toUpperCase());

        assertThat(exact.getError()).isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);
        assertThat(otherCase.getError()).isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);
        assertThat(otherCase.getErrorDescription()).isNotEmpty();
    }

    @Test
    void bracketsAndBackslashCountAsBracesAndBar() {
        String stem = uniqueNickname("B");
        assertThat(newPlayer().authenticate(stem + "[x]").getError()).isEqualTo(AuthenticateResponse.Error.OK);
        assertThat(newPlayer().authenticate(stem.toUpperCase() + "{X}").getError())
                .isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);
        assertThat(newPlayer().authenticate(stem + "{x]").getError()).isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);
        // '|' itself is not a nickname character, so "a\" can only meet "a|" in Nicknames.canonical (NicknamesTest).
        assertThat(Nicknames.canonical(stem + "\\")).isEqualTo(Nicknames.canonical(stem + "|"));
    }

    @Test
    void spaceCountsAsUnderscore() {
        String stem = uniqueNickname("S");
        assertThat(newPlayer().authenticate(stem + " one").getError()).isEqualTo(AuthenticateResponse.Error.OK);

        assertThat(newPlayer().authenticate(stem + "_one").getError()).isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);
        assertThat(newPlayer().authenticate(stem.toUpperCase() + "_ONE").getError())
                .isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);
    }

    @Test
    void secondAuthenticateIsRefusedWithError2() {
        Player player = newPlayer();
        String nickname = uniqueNickname("Twice");
        assertThat(player.authenticate(nickname).getError()).isEqualTo(AuthenticateResponse.Error.OK);

        assertThat(player.authenticate(uniqueNickname("Other")).getError())
                .isEqualTo(AuthenticateResponse.Error.ALREADY_AUTHENTICATED);
        assertThat(player.authenticate(nickname).getError()).isEqualTo(AuthenticateResponse.Error.ALREADY_AUTHENTICATED);
    }

    @Test
    void errorIsWrittenOnTheWireEvenWhenZero() {
        Player player = newPlayer();
        player.connection.send(authenticate(uniqueNickname("Wire")));

        byte[] payload = player.listener.next(WAIT);
        UnknownFieldSet response = rawEmbedded(payload, S2C_AUTHENTICATE_RESPONSE);

        assertThat(response.hasField(ERROR)).as("field 1 (error) present in %s", response).isTrue();
        assertThat(response.getField(ERROR).getVarintList()).containsExactly(0L);
    }

    @Test
    void refusalErrorIsWrittenOnTheWire() {
        Player player = newPlayer();
        player.connection.send(authenticate("0zero"));

        UnknownFieldSet response = rawEmbedded(player.listener.next(WAIT), S2C_AUTHENTICATE_RESPONSE);

        assertThat(response.getField(ERROR).getVarintList()).containsExactly(3L);
    }

    @Test
    void timeRequestIsAnsweredWithEchoedClientTimeAndServerTime() {
        Player player = newPlayer();
        long before = System.nanoTime();
        player.connection.send(timeRequest(123_456_789_012L));

        TimeResponse response = parse(player.listener.next(WAIT)).getTimeResponse(0);

        assertThat(response.hasClientTime()).isTrue();
        assertThat(response.getClientTime()).isEqualTo(123_456_789_012L);
        assertThat(response.hasServerTime()).isTrue();
        assertThat(response.getServerTime()).isNotZero();
        // Same JVM, same monotonic clock: the server's time falls between send and receive.
        assertThat(response.getServerTime()).isBetween(before, System.nanoTime());
    }

    @Test
    void timeResponseWritesZeroClientTimeAndServerTimeOnTheWire() {
        Player player = newPlayer();
        player.connection.send(timeRequest(0));

        UnknownFieldSet response = rawEmbedded(player.listener.next(WAIT), S2C_TIME_RESPONSE);

        assertThat(response.getField(CLIENT_TIME).getFixed64List()).containsExactly(0L);
        assertThat(response.getField(SERVER_TIME).getFixed64List()).hasSize(1);
    }

    @Test
    void timeRequestNeedsNoNickname() {
        Player player = newPlayer();
        player.connection.send(timeRequest(-5));

        assertThat(parse(player.listener.next(WAIT)).getTimeResponse(0).getClientTime()).isEqualTo(-5);
    }

    @Test
    void chatReachesEachAuthenticatedSessionExactlyOnce() {
        // Session A holds three connections; one listener counts what arrives on all of them.
        RecordingListener aListener = new RecordingListener();
        AphelionConnection a1 = connect(client, aListener);
        AphelionConnection a2 = connect(client, a1.token(), aListener);
        AphelionConnection a3 = connect(client, a1.token(), aListener);
        assertThat(List.of(a2, a3)).noneMatch(AphelionConnection::isNewSession);
        Player a = new Player(a1, aListener);
        Player b = newPlayer();
        Player silent = newPlayer();
        String aName = uniqueNickname("A");
        String bName = uniqueNickname("B");
        assertThat(a.authenticate(aName).getError()).isEqualTo(AuthenticateResponse.Error.OK);
        assertThat(b.authenticate(bName).getError()).isEqualTo(AuthenticateResponse.Error.OK);

        b.connection.send(chat("hello"));
        b.connection.send(chat("again"));

        List<LocalChatMessage> expected = List.of(chatMessage(bName, "hello"), chatMessage(bName, "again"));
        await().atMost(WAIT).until(() -> chats(a.listener).size() >= 2 && chats(b.listener).size() >= 2);
        // No copy may follow on another of A's connections.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> chats(a.listener).size() == 2 && chats(b.listener).size() == 2);
        assertThat(chats(a.listener)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(chats(b.listener)).containsExactlyElementsOf(expected);
        assertThat(chats(silent.listener)).isEmpty();
    }

    @Test
    void chatFromSessionWithoutNicknameIsIgnored() {
        Player anonymous = newPlayer();
        Player listener = newPlayer();
        String name = uniqueNickname("L");
        assertThat(listener.authenticate(name).getError()).isEqualTo(AuthenticateResponse.Error.OK);

        anonymous.connection.send(chat("nobody hears me"));
        // The anonymous session's messages run in order: its time answer means the chat was handled.
        anonymous.connection.send(timeRequest(1));
        assertThat(parse(anonymous.listener.next(WAIT)).getTimeResponseList()).hasSize(1);
        listener.connection.send(chat("marker"));

        await().atMost(WAIT).until(() -> !chats(listener.listener).isEmpty());
        assertThat(chats(listener.listener)).containsExactly(chatMessage(name, "marker"));
        assertThat(chats(anonymous.listener)).isEmpty();
    }

    @Test
    void refusedSessionCannotChat() {
        Player holder = newPlayer();
        String name = uniqueNickname("H");
        assertThat(holder.authenticate(name).getError()).isEqualTo(AuthenticateResponse.Error.OK);
        Player refused = newPlayer();
        assertThat(refused.authenticate(name).getError()).isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);

        refused.connection.send(chat("as " + name));
        refused.connection.send(timeRequest(2));
        assertThat(parse(refused.listener.next(WAIT)).getTimeResponseList()).hasSize(1);
        holder.connection.send(chat("marker"));

        await().atMost(WAIT).until(() -> !chats(holder.listener).isEmpty());
        assertThat(chats(holder.listener)).containsExactly(chatMessage(name, "marker"));
    }

    @Test
    void emptyChatLineIsBroadcastWithItsMessageFieldOnTheWire() {
        Player player = newPlayer();
        assertThat(player.authenticate(uniqueNickname("E")).getError()).isEqualTo(AuthenticateResponse.Error.OK);

        player.connection.send(chat(""));

        // The original client marks `message` required and drops a packet without it.
        UnknownFieldSet message = rawEmbedded(player.listener.next(WAIT), S2C_LOCAL_CHAT_MESSAGE);
        assertThat(message.hasField(CHAT_MESSAGE)).as("field 2 (message) present in %s", message).isTrue();
        assertThat(message.getField(CHAT_MESSAGE).getLengthDelimitedList()).hasSize(1);
    }

    @Test
    void nicknameOfASessionWithNoConnectionLeftGoesToTheNewPlayerAndTheOldSessionEnds() {
        Player old = newPlayer();
        String name = uniqueNickname("D");
        assertThat(old.authenticate(name).getError()).isEqualTo(AuthenticateResponse.Error.OK);
        old.connection.abort(); // dropped: the session waits for a resume until its expiry

        Player again = newPlayer();
        await().atMost(WAIT).until(() -> again.authenticate(name).getError() == AuthenticateResponse.Error.OK);

        // The old session ended: its token no longer resumes it.
        AphelionConnection resumed = connect(client, old.connection.token(), new RecordingListener());
        assertThat(resumed.isNewSession()).isTrue();
    }

    @Test
    void nicknameOfASessionThatStillHasAConnectionStaysInUse() {
        Player holder = newPlayer();
        String name = uniqueNickname("K");
        assertThat(holder.authenticate(name).getError()).isEqualTo(AuthenticateResponse.Error.OK);

        assertThat(newPlayer().authenticate(name).getError()).isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);
        assertThat(holder.connection.isOpen()).isTrue();
    }

    @Test
    void playerWhoQuitsWith1000AndLogsInAgainGetsTheNickname() {
        Player quitter = newPlayer();
        String name = uniqueNickname("Q");
        assertThat(quitter.authenticate(name).getError()).isEqualTo(AuthenticateResponse.Error.OK);
        join(quitter.connection.close(1000, "quit"));

        Player returning = newPlayer();
        await().atMost(WAIT).until(() -> returning.authenticate(name).getError() == AuthenticateResponse.Error.OK);
    }

    private static LocalChatMessage chatMessage(String sender, String message) {
        return LocalChatMessage.newBuilder().setSender(sender).setMessage(message).build();
    }

    private static List<LocalChatMessage> chats(RecordingListener listener) {
        return listener.received().stream()
                .map(GameMessages::parse)
                .flatMap(s2c -> s2c.getLocalChatMessageList().stream())
                .toList();
    }

    private Player newPlayer() {
        RecordingListener listener = new RecordingListener();
        return new Player(connect(client, listener), listener);
    }

    /** One session seen from its client: the connection that talks and what arrives on the session. */
    private record Player(AphelionConnection connection, RecordingListener listener) {

        /** Sends authenticate and returns the answer (skipping anything else that arrives first). */
        AuthenticateResponse authenticate(String nickname) {
            connection.send(GameMessages.authenticate(nickname));
            while (true) {
                S2C message = parse(listener.next(WAIT));
                if (message.getAuthenticateResponseCount() > 0) {
                    assertThat(message.getAuthenticateResponseCount()).isEqualTo(1);
                    return message.getAuthenticateResponse(0);
                }
            }
        }
    }
}
