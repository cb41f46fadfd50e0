package io.aphelion.client;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.google.protobuf.InvalidProtocolBufferException;

import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.S2C;
import io.aphelion.proto.game.TimeRequest;
import io.aphelion.server.AphelionServerApplication;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The client's self-healing session against the real server: reconnect, new session, final closes. */
@SpringBootTest(classes = AphelionServerApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "aphelion.session.expiry=1s")
class AphelionSessionTest extends ServerTestSupport {

    /** Records what the session reports. */
    static final class Events implements AphelionSession.Listener {
        final BlockingQueue<ByteBuffer> messages = new LinkedBlockingQueue<>();
        final AtomicInteger reconnected = new AtomicInteger();
        final AtomicInteger newSessions = new AtomicInteger();
        final BlockingQueue<Integer> closes = new LinkedBlockingQueue<>();

        @Override
        public void onMessage(ByteBuffer payload) {
            messages.add(payload);
        }

        @Override
        public void onReconnected() {
            reconnected.incrementAndGet();
        }

        @Override
        public void onNewSession() {
            newSessions.incrementAndGet();
        }

        @Override
        public void onClosed(int code, String reason) {
            closes.add(code);
        }

        /** Sends a time request and waits for its answer. */
        void roundTrip(AphelionSession session, long clientTime) throws Exception {
            session.send(C2S.newBuilder().addTimeRequest(TimeRequest.newBuilder().setClientTime(clientTime)).build()
                    .toByteArray());
            while (true) {
                ByteBuffer payload = messages.poll(10, TimeUnit.SECONDS);
                assertThat(payload).as("time response %d", clientTime).isNotNull();
                if (timeResponse(payload) == clientTime) {
                    return;
                }
            }
        }

        private static long timeResponse(ByteBuffer payload) throws InvalidProtocolBufferException {
            S2C message = S2C.parseFrom(payload);
            return message.getTimeResponseCount() > 0 ? message.getTimeResponse(0).getClientTime() : -1;
        }
    }

    private AphelionSession session;

    @AfterEach
    void closeSession() {
        if (session != null) {
            session.close();
        }
    }

    private AphelionSession open(Events events, Duration minBackoff) {
        session = join(AphelionSession.open(client(WireFormat.PROTOCOL_GAME), 2, events, minBackoff, Duration.ofSeconds(2)));
        return session;
    }

    @Test
    void droppedConnectionIsReplacedInTheSameSession() throws Exception {
        Events events = new Events();
        AphelionSession session = open(events, Duration.ofMillis(50));
        SessionToken token = session.token();
        assertThat(session.openConnections()).isEqualTo(2);

        session.connections().get(0).abort();
        await().atMost(WAIT).until(() -> events.reconnected.get() == 1 && session.openConnections() == 2);
        assertThat(session.token()).isEqualTo(token);
        assertThat(session.connections()).allSatisfy(connection -> assertThat(connection.token()).isEqualTo(token));
        events.roundTrip(session, 7);
        assertThat(events.newSessions.get()).isZero();
    }

    @Test
    void expiredSessionIsReplacedByANewOneAndTheListenerIsTold() throws Exception {
        Events events = new Events();
        // The first reconnect comes after the 1 s expiry: the server has to start a new session.
        AphelionSession session = open(events, Duration.ofMillis(3000));
        SessionToken old = session.token();
        session.connections().forEach(AphelionConnection::abort);
        await().atMost(Duration.ofSeconds(20)).until(() -> events.newSessions.get() == 1 && session.openConnections() == 2);
        assertThat(session.token()).isNotEqualTo(old);
        await().atMost(WAIT).until(() -> session.connections().stream().allMatch(c -> c.token().equals(session.token())));
        events.roundTrip(session, 9);
    }

    @Test
    void protocolErrorOfTheClientIsNotRetried() throws Exception {
        Events events = new Events();
        AphelionSession session = open(events, Duration.ofMillis(50));
        session.connections().get(0).sendRaw(new byte[] { (byte) 200 });
        assertThat(events.closes.poll(10, TimeUnit.SECONDS)).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        // No reconnect follows: one connection stays open, for a while longer than the backoff.
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> session.openConnections() == 1);
        assertThat(events.reconnected.get()).isZero();
        events.roundTrip(session, 11);
    }
}
