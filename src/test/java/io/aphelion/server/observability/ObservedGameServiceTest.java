package io.aphelion.server.observability;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.S2C;
import io.aphelion.server.observability.GameCallMetrics.Method;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.GameService;
import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.session.SessionEndReason;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static io.aphelion.server.observability.ObservedGameService.MDC_SESSION_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The decorator around the application's service: every method reaches the delegate with the
 * session id in the MDC, the MDC is as before afterwards (also after a throw), and each call is
 * reported with its method and outcome.
 */
class ObservedGameServiceTest {

    private final List<String> calls = new ArrayList<>();
    private final List<String> reported = new ArrayList<>();
    private final GameCallMetrics metrics = (method, nanos, failed) -> {
        assertThat(nanos).isNotNegative();
        reported.add(method.tag() + (failed ? " error" : " success"));
    };

    /** Records each call with the MDC value it saw; throws on a message with a command. */
    private final GameMessageService game = new GameMessageService() {

        @Override
        public boolean mayBlock() {
            return false;
        }

        @Override
        public void onMessage(GameSession<S2C> session, C2S message) {
            record("onMessage");
            if (message.getCommandCount() > 0) {
                throw new IllegalStateException("game bug");
            }
        }

        @Override
        public void sessionStarted(GameSession<S2C> session) {
            record("sessionStarted");
        }

        @Override
        public void connectionAdded(GameSession<S2C> session) {
            record("connectionAdded");
        }

        @Override
        public void connectionLost(GameSession<S2C> session, int closeCode) {
            record("connectionLost " + closeCode);
        }

        @Override
        public void sessionResumed(GameSession<S2C> session) {
            record("sessionResumed");
        }

        @Override
        public void sessionEnded(GameSession<S2C> session, SessionEndReason reason) {
            record("sessionEnded " + reason);
        }

        private void record(String call) {
            calls.add(call + " [" + MDC.get(MDC_SESSION_KEY) + "]");
        }
    };

    private final ObservedGameService<C2S, S2C> observed = new ObservedGameService<>(game, metrics);

    @AfterEach
    void clearMdc() {
        MDC.clear();
    }

    @Test
    void everyCallRunsWithTheSessionIdInTheMdcAndIsReported() {
        GameSession<S2C> session = new IdOnlySession(42);

        observed.sessionStarted(session);
        observed.connectionAdded(session);
        observed.onMessage(session, C2S.getDefaultInstance());
        observed.connectionLost(session, 1006);
        observed.sessionResumed(session);
        observed.sessionEnded(session, SessionEndReason.EXPIRED);

        assertThat(calls).containsExactly("sessionStarted [42]", "connectionAdded [42]", "onMessage [42]",
                "connectionLost 1006 [42]", "sessionResumed [42]", "sessionEnded EXPIRED [42]");
        assertThat(reported).containsExactly("sessionStarted success", "connectionAdded success",
                "onMessage success", "connectionLost success", "sessionResumed success", "sessionEnded success");
        assertThat(MDC.get(MDC_SESSION_KEY)).isNull();
    }

    @Test
    void aThrowingCallGoesOnToTheCallerIsReportedAsAnErrorAndLeavesNoMdc() {
        C2S command = C2S.newBuilder().addCommand(io.aphelion.proto.game.Command.newBuilder().setName("x")).build();

        assertThatThrownBy(() -> observed.onMessage(new IdOnlySession(7), command))
                .isInstanceOf(IllegalStateException.class).hasMessage("game bug");

        assertThat(calls).containsExactly("onMessage [7]");
        assertThat(reported).containsExactly("onMessage error");
        assertThat(MDC.get(MDC_SESSION_KEY)).isNull();
    }

    @Test
    void aCallInsideAnotherSessionsCallPutsTheOuterIdBack() {
        MDC.put(MDC_SESSION_KEY, "1");

        observed.onMessage(new IdOnlySession(2), C2S.getDefaultInstance());

        assertThat(calls).containsExactly("onMessage [2]");
        assertThat(MDC.get(MDC_SESSION_KEY)).isEqualTo("1");
    }

    @Test
    void mayBlockIsTheDelegates() {
        assertThat(observed.mayBlock()).isFalse();
        GameMessageService blocking = (session, message) -> { };
        assertThat(new ObservedGameService<>(blocking, GameCallMetrics.NONE).mayBlock()).isTrue();
    }

    @Test
    void everyMethodOfTheServiceIsDecorated() {
        // A default method added to GameService and not overridden here would bypass the MDC.
        for (java.lang.reflect.Method method : GameService.class.getMethods()) {
            assertThat(ObservedGameService.class.getDeclaredMethods())
                    .as(method.getName())
                    .anyMatch(own -> own.getName().equals(method.getName())
                            && java.util.Arrays.equals(own.getParameterTypes(), method.getParameterTypes()));
        }
        // Every method but mayBlock() and c2sParser() is a call with a timer.
        assertThat(Method.values()).hasSize(GameService.class.getMethods().length - 2);
    }

    /** A session that knows only its id. */
    private record IdOnlySession(long id) implements GameSession<S2C> {

        @Override
        public boolean send(S2C message) {
            return false;
        }

        @Override
        public boolean sendVolatile(S2C message) {
            return false;
        }

        @Override
        public void close(String reason) {
        }

        @Override
        public boolean closeIfDetached(String reason) {
            return false;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public int connectionCount() {
            return 1;
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return null;
        }

        @Override
        public int protocolVersion() {
            return 1;
        }

        @Override
        public Optional<Duration> roundTripTime() {
            return Optional.empty();
        }

        @Override
        public String attribute(String name) {
            return null;
        }

        @Override
        public void attribute(String name, String value) {
        }

        @Override
        public Object attachment() {
            return null;
        }

        @Override
        public void attachment(Object value) {
        }
    }
}
