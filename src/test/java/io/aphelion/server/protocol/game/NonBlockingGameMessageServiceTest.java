package io.aphelion.server.protocol.game;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.Command;
import io.aphelion.proto.game.LocalChatMessage;
import io.aphelion.proto.game.S2C;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

import static io.aphelion.server.protocol.game.GameMessages.command;
import static io.aphelion.server.protocol.game.GameMessages.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A {@link GameMessageService} that says it never blocks ({@link GameMessageService#mayBlock()}
 * false): its messages are handled on the thread that read them, not on the game pool, and a
 * session's calls still come one at a time and in order with its lifecycle events.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class NonBlockingGameMessageServiceTest extends ServerTestSupport {

    /** The game pool's thread names (AphelionAutoConfiguration). */
    private static final String GAME_POOL_PREFIX = "aphelion-game-";

    @TestConfiguration(proxyBeanMethods = false)
    static class GameConfiguration {

        @Bean
        QuickGame quickGame() {
            return new QuickGame();
        }
    }

    /** Records each call with the thread it ran on; {@code echo} answers its arguments. */
    static final class QuickGame implements GameMessageService {

        final Map<Long, List<String>> calls = new ConcurrentHashMap<>();

        @Override
        public boolean mayBlock() {
            return false;
        }

        @Override
        public void onMessage(GameSession session, C2S message) {
            for (Command command : message.getCommandList()) {
                record(session, "onMessage " + String.join(" ", command.getArgumentsList()));
                session.send(S2C.newBuilder().addLocalChatMessage(LocalChatMessage.newBuilder()
                        .setSender("game").setMessage(String.join(" ", command.getArgumentsList()))).build());
            }
        }

        @Override
        public void sessionStarted(GameSession session) {
            record(session, "sessionStarted");
        }

        @Override
        public void connectionAdded(GameSession session) {
            record(session, "connectionAdded");
        }

        @Override
        public void sessionEnded(GameSession session, SessionEndReason reason) {
            record(session, "sessionEnded");
        }

        /** Calls of one session as "name@thread". */
        List<String> calls(long sessionId) {
            return List.copyOf(calls.getOrDefault(sessionId, List.of()));
        }

        private void record(GameSession session, String call) {
            calls.computeIfAbsent(session.id(), id -> new CopyOnWriteArrayList<>())
                    .add(call + "@" + Thread.currentThread().getName());
        }
    }

    @Autowired
    private QuickGame game;

    @Test
    void messagesRunOnTheReadingThreadInOrderAfterTheSessionsEvents() {
        AphelionClient client = client(WireFormat.PROTOCOL_GAME);
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client, listener);
        await().atMost(WAIT).until(() -> game.calls.size() == 1
                && game.calls.values().iterator().next().size() == 2);
        long id = game.calls.keySet().iterator().next();

        // One at a time: each message finds the session idle, so none has to wait on the pool.
        for (int i = 1; i <= 20; i++) {
            connection.send(command("echo", Integer.toString(i)));
            assertThat(parse(listener.next(WAIT)).getLocalChatMessage(0).getMessage()).isEqualTo(Integer.toString(i));
        }

        List<String> calls = game.calls(id);
        assertThat(calls).extracting(call -> call.substring(0, call.indexOf('@')))
                .containsExactlyElementsOf(java.util.stream.Stream.concat(
                        java.util.stream.Stream.of("sessionStarted", "connectionAdded"),
                        java.util.stream.IntStream.rangeClosed(1, 20).mapToObj(i -> "onMessage " + i)).toList());
        assertThat(calls.subList(0, 2)).as("lifecycle events stay on the game pool")
                .allMatch(call -> call.contains("@" + GAME_POOL_PREFIX));
        assertThat(calls.subList(2, 22)).as("messages run where they were read")
                .noneMatch(call -> call.contains("@" + GAME_POOL_PREFIX));
    }
}
