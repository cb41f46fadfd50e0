package io.aphelion.server.protocol.game;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.Command;
import io.aphelion.proto.game.LocalChatMessage;
import io.aphelion.proto.game.S2C;
import io.aphelion.proto.game.TimeResponse;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;

import static io.aphelion.server.protocol.game.GameMessages.command;
import static io.aphelion.server.protocol.game.GameMessages.parse;
import static io.aphelion.server.protocol.game.GameMessages.timeRequest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A user's own {@link GameMessageService} bean: it replaces the lobby, sees every message and
 * each session's life exactly once and in order, and neither its exceptions nor its slowness
 * reach the transport (acks, other sessions). Short expiry, so its own context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "aphelion.session.expiry=1s")
class CustomGameMessageServiceTest extends ServerTestSupport {

    /** How long the scripted game's "sleep" command holds its session's thread. */
    private static final Duration SLOW_CALL = Duration.ofMillis(500);

    /** Acks go out within the ack delay (2 ms); this is the generous bound tests hold them to. */
    private static final Duration QUICK = Duration.ofMillis(400);

    @TestConfiguration(proxyBeanMethods = false)
    static class GameConfiguration {

        @Bean
        ScriptedGame scriptedGame() {
            return new ScriptedGame();
        }
    }

    /**
     * Records every call by session id, and obeys commands: {@code whoami} answers the session
     * id, {@code echo} answers its arguments, {@code throw} throws, {@code sleep} blocks for
     * {@link #SLOW_CALL}. Answers time requests like the lobby.
     */
    static final class ScriptedGame implements GameMessageService {

        final Map<Long, List<String>> events = new ConcurrentHashMap<>();

        @Override
        public void onMessage(GameSession session, C2S message) {
            record(session, "onMessage");
            for (Command command : message.getCommandList()) {
                switch (command.getName()) {
                    case "whoami" -> session.send(say(Long.toString(session.id())));
                    case "echo" -> session.send(say(String.join(" ", command.getArgumentsList())));
                    case "throw" -> throw new IllegalStateException("Scripted failure (expected by the test)");
                    case "sleep" -> sleep();
                    default -> throw new IllegalArgumentException(command.getName());
                }
            }
            message.getTimeRequestList().forEach(request -> session.sendVolatile(S2C.newBuilder()
                    .addTimeResponse(TimeResponse.newBuilder()
                            .setClientTime(request.getClientTime())
                            .setServerTime(System.nanoTime()))
                    .build()));
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
        public void connectionLost(GameSession session, int closeCode) {
            record(session, "connectionLost");
        }

        @Override
        public void sessionResumed(GameSession session) {
            record(session, "sessionResumed");
        }

        @Override
        public void sessionEnded(GameSession session, SessionEndReason reason) {
            record(session, "sessionEnded(" + reason + ")");
        }

        List<String> events(long sessionId) {
            return List.copyOf(events.getOrDefault(sessionId, List.of()));
        }

        private void record(GameSession session, String event) {
            events.computeIfAbsent(session.id(), id -> new CopyOnWriteArrayList<>()).add(event);
        }

        private static S2C say(String text) {
            return S2C.newBuilder().addLocalChatMessage(LocalChatMessage.newBuilder().setSender("game").setMessage(text))
                    .build();
        }

        private static void sleep() {
            try {
                TimeUnit.NANOSECONDS.sleep(SLOW_CALL.toNanos());
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Autowired
    private ApplicationContext context;

    @Autowired
    private ScriptedGame game;

    private AphelionClient client;

    @BeforeEach
    void createClient() {
        client = client(WireFormat.PROTOCOL_GAME);
    }

    @Test
    void customBeanReplacesTheLobby() {
        assertThat(context.getBeansOfType(LobbyGameMessageService.class)).isEmpty();
        assertThat(context.getBean(GameMessageService.class)).isSameAs(game);
    }

    @Test
    void customBeanReceivesMessagesAndAnswers() {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client, listener);

        connection.send(command("echo", "hello", "world"));

        assertThat(said(listener.next(WAIT))).isEqualTo("hello world");
    }

    @Test
    void sessionLifecycleEventsFireOnceEachInOrder() {
        RecordingListener listener = new RecordingListener();
        AphelionConnection first = connect(client, listener);
        long id = sessionId(first, listener);

        first.abort();
        await().atMost(WAIT).until(() -> game.events(id).contains("connectionLost"));
        AphelionConnection resumed = connect(client, first.token(), listener);
        assertThat(resumed.isNewSession()).isFalse();
        await().atMost(WAIT).until(() -> game.events(id).size() == 6);
        resumed.abort();

        await().atMost(WAIT).until(() -> game.events(id).contains("sessionEnded(EXPIRED)"));
        List<String> expected = List.of("sessionStarted", "connectionAdded", "onMessage", "connectionLost",
                "sessionResumed", "connectionAdded", "connectionLost", "sessionEnded(EXPIRED)");
        // Nothing more follows the end.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> game.events(id).equals(expected));
    }

    @Test
    void secondConnectionIsAddedWithoutResume() {
        RecordingListener listener = new RecordingListener();
        AphelionConnection first = connect(client, listener);
        long id = sessionId(first, listener);

        AphelionConnection second = connect(client, first.token(), listener);
        assertThat(second.isNewSession()).isFalse();
        second.close(CloseCodes.NORMAL, "done");

        await().atMost(WAIT).until(() -> game.events(id).size() == 5);
        assertThat(game.events(id)).containsExactly("sessionStarted", "connectionAdded", "onMessage", "connectionAdded",
                "connectionLost");
    }

    @Test
    void throwingServiceLeavesTheSessionAlive() {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client, listener);
        long id = sessionId(connection, listener);

        connection.send(command("throw"));
        connection.send(command("echo", "still", "here"));

        assertThat(said(listener.next(WAIT))).isEqualTo("still here");
        assertThat(connection.isOpen()).isTrue();
        assertThat(game.events(id)).doesNotContain("connectionLost").noneMatch(event -> event.startsWith("sessionEnded"));
    }

    @Test
    void slowServiceDoesNotDelayAcks() {
        RecordingListener slowListener = new RecordingListener();
        AphelionConnection slow = connect(client, slowListener);
        RecordingListener otherListener = new RecordingListener();
        AphelionConnection other = connect(client, otherListener);

        long start = System.nanoTime();
        slow.send(command("sleep"));
        slow.send(command("echo", "after", "sleep"));

        // Both packets are acked while the service still sleeps on the first one.
        await().atMost(QUICK).until(() -> slowListener.acked() == 2);
        // Another session is served meanwhile.
        other.send(timeRequest(42));
        await().atMost(QUICK).until(() -> !otherListener.received().isEmpty());
        assertThat(parse(otherListener.received().get(0)).getTimeResponse(0).getClientTime()).isEqualTo(42);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SLOW_CALL);
        // The slow session's own messages still run in order, after the slow one.
        assertThat(said(slowListener.next(WAIT))).isEqualTo("after sleep");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(SLOW_CALL);
    }

    /** Asks the scripted game for the server-side id of the connection's session. */
    private static long sessionId(AphelionConnection connection, RecordingListener listener) {
        connection.send(command("whoami"));
        return Long.parseLong(said(listener.next(WAIT)));
    }

    private static String said(byte[] payload) {
        S2C message = parse(payload);
        assertThat(message.getLocalChatMessageCount()).as("one chat message in %s", message).isEqualTo(1);
        return message.getLocalChatMessage(0).getMessage();
    }
}
