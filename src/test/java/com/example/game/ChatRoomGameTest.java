package com.example.game;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.google.protobuf.InvalidProtocolBufferException;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.game.Authenticate;
import io.aphelion.proto.game.AuthenticateResponse;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.Command;
import io.aphelion.proto.game.LocalChatMessage;
import io.aphelion.proto.game.S2C;
import io.aphelion.proto.game.SendLocalChat;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.LobbyGameMessageService;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The example of {@code docs/CUSTOM_GAME.md}, run as a user would: its own application, its bean
 * instead of the lobby, over real sockets. Also checks the document shows these exact files.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "aphelion.session.expiry=1s")
class ChatRoomGameTest extends ServerTestSupport {

    private static final Path EXAMPLE_SOURCES = Path.of("src/test/java/com/example/game");

    @Autowired
    private ApplicationContext context;

    @Test
    void exampleBeanReplacesTheLobby() {
        assertThat(context.getBeansOfType(LobbyGameMessageService.class)).isEmpty();
        assertThat(context.getBean(GameMessageService.class)).isInstanceOf(ChatRoomGame.class);
    }

    @Test
    void examplePlaysEndToEnd() {
        AphelionClient client = client(WireFormat.PROTOCOL_GAME);
        RecordingListener alice = new RecordingListener();
        AphelionConnection aliceConnection = connect(client, alice);
        RecordingListener bob = new RecordingListener();
        AphelionConnection bobConnection = connect(client, bob);

        aliceConnection.send(C2S.newBuilder().addAuthenticate(Authenticate.newBuilder().setNickname("alice")).build().toByteArray());
        bobConnection.send(C2S.newBuilder().addAuthenticate(Authenticate.newBuilder().setNickname("bob")).build().toByteArray());
        assertThat(parse(alice.next()).getAuthenticateResponse(0).getError()).isEqualTo(AuthenticateResponse.Error.OK);
        assertThat(parse(bob.next()).getAuthenticateResponse(0).getError()).isEqualTo(AuthenticateResponse.Error.OK);

        aliceConnection.send(C2S.newBuilder().addSendLocalChat(SendLocalChat.newBuilder().setMessage("hi bob")).build().toByteArray());
        assertThat(chat(alice.next())).isEqualTo(chat("alice", "hi bob"));
        assertThat(chat(bob.next())).isEqualTo(chat("alice", "hi bob"));

        bobConnection.send(C2S.newBuilder().addCommand(Command.newBuilder().setName("who")).build().toByteArray());
        assertThat(chat(bob.next())).isEqualTo(chat("server", "2 players online"));

        bobConnection.abort();
        assertThat(chat(alice.next())).isEqualTo(chat("server", "bob left (EXPIRED)"));
    }

    @Test
    void documentShowsTheExactExample() throws IOException {
        String document = Files.readString(Path.of("docs/CUSTOM_GAME.md"), StandardCharsets.UTF_8);
        List<String> blocks = new ArrayList<>();
        Matcher matcher = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(document);
        while (matcher.find()) {
            blocks.add(matcher.group(1));
        }

        assertThat(blocks).containsExactly(
                Files.readString(EXAMPLE_SOURCES.resolve("ChatRoomGame.java"), StandardCharsets.UTF_8),
                Files.readString(EXAMPLE_SOURCES.resolve("ChatRoomApplication.java"), StandardCharsets.UTF_8),
                Files.readString(Path.of("src/test/java/com/example/dice/DiceGame.java"), StandardCharsets.UTF_8));
    }

    @Test
    void readmeShowsTheExactExample() throws IOException {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        String example = Files.readString(EXAMPLE_SOURCES.resolve("ChatRoomGame.java"), StandardCharsets.UTF_8);
        assertThat(readme).contains("```java\n" + example + "```");
    }

    private static S2C parse(byte[] payload) {
        try {
            return S2C.parseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
        }
    }

    private static LocalChatMessage chat(byte[] payload) {
        S2C message = parse(payload);
        assertThat(message.getLocalChatMessageList()).hasSize(1);
        return message.getLocalChatMessage(0);
    }

    private static LocalChatMessage chat(String sender, String text) {
        return LocalChatMessage.newBuilder().setSender(sender).setMessage(text).build();
    }
}
