package io.aphelion.server.transport;

import io.aphelion.client.AphelionHandshakeException;
import io.aphelion.proto.ping.C2S;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.testing.CountingDecoratorFactory;
import io.aphelion.server.testing.RawWebSocket;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * An application's {@code WebSocketHandlerDecoratorFactory} bean wraps the Aphelion handler on the
 * native engine (the default) over real sockets: it sees every websocket and every binary message,
 * and it can refuse a websocket before the Aphelion handler hears of it. {@code ServletEngineTest}
 * checks the same on the servlet engine.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(WebSocketHandlerDecoratorTest.Decorators.class)
class WebSocketHandlerDecoratorTest extends ServerTestSupport {

    @TestConfiguration(proxyBeanMethods = false)
    static class Decorators {

        @Bean
        CountingDecoratorFactory countingDecorator() {
            return new CountingDecoratorFactory();
        }
    }

    @Autowired
    private CountingDecoratorFactory decorator;

    @Autowired
    private SessionRegistry sessions;

    @Autowired
    private OpenWebSockets openWebSockets;

    @Test
    void applicationsDecoratorSeesEachWebSocketAndEachBinaryMessage() throws Exception {
        decoratorSeesEachWebSocketAndEachBinaryMessage(decorator, port, "/aphelion");
    }

    @Test
    void applicationsDecoratorCanRefuseAWebSocketBeforeTheAphelionHandlerHearsOfIt() {
        decoratorCanRefuseAWebSocket(decorator, sessions, openWebSockets,
                () -> join(client(WireFormat.PROTOCOL_PING).connect(new RecordingListener())));
    }

    /** A websocket that sends its init packet and three ping packets and closes: the decorator sees all of it. */
    static void decoratorSeesEachWebSocketAndEachBinaryMessage(CountingDecoratorFactory decorator, int port, String path)
            throws Exception {
        int established = decorator.established();
        int messages = decorator.binaryMessages();
        int closed = decorator.closed();
        try (RawWebSocket ws = RawWebSocket.connect(port, path)) {
            ws.sendBinary(InitPacket.newSession(WireFormat.PROTOCOL_PING, 1).encode());
            assertThat(ws.readUntil(RawWebSocket.BINARY).payload()).hasSize(WireFormat.S2C_INIT_LENGTH);
            for (int i = 0; i < 3; i++) {
                byte[] ping = C2S.newBuilder().setClientTime(i).build().toByteArray();
                byte[] packet = new byte[ping.length + 1]; // ack byte 0: a client that does not ack
                System.arraycopy(ping, 0, packet, 1, ping.length);
                ws.sendBinary(packet);
                assertThat(ws.readUntil(RawWebSocket.BINARY)).as("answer %d", i).isNotNull();
            }
            ws.send(RawWebSocket.CLOSE, new byte[] { 0x03, (byte) 0xE8 });
            assertThat(ws.readUntilClose()).isNotNull();
        }
        // At least: a websocket of an earlier test of the same context may close meanwhile too.
        await().atMost(WAIT).until(() -> decorator.closed() >= closed + 1);
        assertThat(decorator.established()).isEqualTo(established + 1);
        assertThat(decorator.binaryMessages()).as("the init packet and three ping packets").isEqualTo(messages + 4);
    }

    /**
     * While the decorator refuses, a client's handshake fails with its 1008, no session is made,
     * and the websocket is tracked no longer once closed.
     */
    static void decoratorCanRefuseAWebSocket(CountingDecoratorFactory decorator, SessionRegistry sessions,
            OpenWebSockets openWebSockets, Runnable connect) {
        int sessionsBefore = sessions.liveSessions();
        int openBefore = openWebSockets.count();
        decorator.refuseNewWebSockets(true);
        try {
            assertThatThrownBy(connect::run)
                    .hasCauseInstanceOf(AphelionHandshakeException.class)
                    .satisfies(refused -> {
                        AphelionHandshakeException cause = (AphelionHandshakeException) refused.getCause();
                        assertThat(cause.closeCode()).isEqualTo(CloseCodes.POLICY_VIOLATION);
                        assertThat(cause.getMessage()).contains(CountingDecoratorFactory.REFUSED);
                    });
        }
        finally {
            decorator.refuseNewWebSockets(false);
        }
        assertThat(sessions.liveSessions()).isEqualTo(sessionsBefore);
        await().atMost(WAIT).alias("the refused websocket is no longer tracked once closed")
                .until(openWebSockets::count, open -> open <= openBefore);
    }
}
