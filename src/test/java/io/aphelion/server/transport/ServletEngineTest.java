package io.aphelion.server.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.client.AphelionHandshakeException;
import io.aphelion.proto.game.Authenticate;
import io.aphelion.proto.game.AuthenticateResponse;
import io.aphelion.proto.ping.C2S;
import io.aphelion.proto.ping.S2C;
import io.aphelion.server.observability.GracefulShutdown;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.testing.CountingDecoratorFactory;
import io.aphelion.server.testing.RawWebSocket;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;
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
 * The servlet engine ({@code aphelion.websocket.engine=servlet}), the one suite that proves it, in
 * one context over real sockets: what it is for (a servlet filter sees the upgrade and may refuse
 * it), the protocol through it (init and token, a ping round trip, a lobby message, a resumed
 * session), and the edge it shares with the native engine (allowed origins, the client address
 * from a trusted proxy and not from an untrusted one, a custom path, the init timeout from the TCP
 * accept, admission refused during shutdown, an application's handler decorator). Everything else
 * about the protocol is engine-independent (one handler chain, one {@code ClientConnection}) and
 * tested once, on the native engine.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "aphelion.websocket.engine=servlet",
        "aphelion.websocket.path=" + ServletEngineTest.PATH,
        "aphelion.websocket.init-timeout=2s",
        "aphelion.websocket.allowed-origins=https://*.example.com,https://game.test",
        "aphelion.websocket.trusted-proxies=127.0.0.1,::1" })
@Import(ServletEngineTest.Application.class)
class ServletEngineTest extends ServerTestSupport {

    static final String PATH = "/game/ws";

    /** The header that makes {@link UpgradeFilter} refuse an upgrade, as an authentication filter would. */
    private static final String DENY_HEADER = "X-Test-Deny";

    @TestConfiguration(proxyBeanMethods = false)
    static class Application {

        @Bean
        UpgradeFilter upgradeFilter() {
            return new UpgradeFilter();
        }

        @Bean
        CountingDecoratorFactory countingDecorator() {
            return new CountingDecoratorFactory();
        }
    }

    /**
     * A servlet filter in front of everything, as Spring Security's would be: records the path of
     * every websocket upgrade it sees and answers 401 to one carrying {@link #DENY_HEADER}.
     */
    static final class UpgradeFilter implements Filter {

        final List<String> upgrades = new CopyOnWriteArrayList<>();

        @Override
        public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
                throws IOException, ServletException {
            HttpServletRequest http = (HttpServletRequest) request;
            if ("websocket".equalsIgnoreCase(http.getHeader("Upgrade"))) {
                upgrades.add(http.getRequestURI());
                if (http.getHeader(DENY_HEADER) != null) {
                    ((HttpServletResponse) response).sendError(HttpServletResponse.SC_UNAUTHORIZED);
                    return;
                }
            }
            chain.doFilter(request, response);
        }
    }

    @Autowired
    private UpgradeFilter filter;

    @Autowired
    private CountingDecoratorFactory decorator;

    @Autowired
    private SessionRegistry sessions;

    @Autowired
    private OpenWebSockets openWebSockets;

    @Autowired
    private GracefulShutdown shutdown;

    @Override
    protected URI uri() {
        return URI.create("ws://127.0.0.1:" + port + PATH);
    }

    // ---- What the engine is for

    @Test
    void servletFilterSeesTheUpgradeAndCanRefuseIt() throws IOException {
        int seen = filter.upgrades.size();

        connect(client(WireFormat.PROTOCOL_PING), new RecordingListener());

        assertThat(filter.upgrades.subList(seen, filter.upgrades.size())).containsExactly(PATH);
        assertThatThrownBy(() -> RawWebSocket.connect(port, PATH, DENY_HEADER + ": yes")).hasMessageContaining("401");
        assertThat(filter.upgrades).hasSize(seen + 2);
    }

    // ---- The protocol through it

    @Test
    void initPacketGetsATokenAndAPingIsAnsweredAndAcked() throws Exception {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), listener);
        assertThat(connection.token()).isNotNull();
        assertThat(connection.isNewSession()).isTrue();

        connection.send(C2S.newBuilder().setClientTime(42).build().toByteArray());

        S2C answer = S2C.parseFrom(listener.next());
        assertThat(answer.getClientTime()).isEqualTo(42);
        assertThat(answer.hasServerTime()).isTrue();
        await().atMost(WAIT).until(() -> listener.acked() == 1);
    }

    @Test
    void lobbyAnswersAnAuthenticateMessage() throws Exception {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_GAME), listener);

        connection.send(io.aphelion.proto.game.C2S.newBuilder()
                .addAuthenticate(Authenticate.newBuilder().setNickname("servlet" + System.nanoTime() % 100_000))
                .build().toByteArray());

        io.aphelion.proto.game.S2C answer = io.aphelion.proto.game.S2C.parseFrom(listener.next());
        assertThat(answer.getAuthenticateResponseList()).extracting(AuthenticateResponse::getError)
                .containsExactly(AuthenticateResponse.Error.OK);
    }

    @Test
    void droppedConnectionsSessionIsResumedWithItsToken() {
        AphelionClient client = client(WireFormat.PROTOCOL_GAME);
        AphelionConnection first = connect(client, new RecordingListener());

        first.abort();
        closeStatus(first);
        AphelionConnection resumed = connect(client, first.token(), new RecordingListener());

        assertThat(resumed.isNewSession()).isFalse();
        assertThat(resumed.token()).isEqualTo(first.token());
    }

    // ---- The edge it shares with the native engine

    @Test
    void listedOriginsAndTheServersOwnAreUpgradedOthersAreRefusedWith403() throws IOException {
        for (String origin : List.of("https://play.example.com", "https://game.test", "http://127.0.0.1:" + port)) {
            try (RawWebSocket ws = RawWebSocket.connect(port, PATH, "Origin: " + origin)) {
                assertThat(ws).as(origin).isNotNull();
            }
        }
        try (RawWebSocket ws = RawWebSocket.connect(port, PATH)) {
            assertThat(ws).as("no Origin: not a browser").isNotNull();
        }
        assertThatThrownBy(() -> RawWebSocket.connect(port, PATH, "Origin: https://evil.test")).hasMessageContaining("403");
    }

    @Test
    void trustedProxyForwardsTheRightMostUntrustedAddress() {
        AphelionConnection connection = connect(client(AphelionClient.builder(uri()).protocol(WireFormat.PROTOCOL_PING)
                .version(1).header(TrustedProxies.X_FORWARDED_FOR, "198.51.100.66, 203.0.113.7, 127.0.0.1")),
                new RecordingListener());

        InetSocketAddress remote = ForwardedClientAddressTest.remoteAddress(sessions, connection).orElseThrow();

        assertThat(remote.getAddress().getHostAddress()).isEqualTo("203.0.113.7");
        assertThat(remote.getPort()).isZero();
    }

    @Test
    void forwardedForFromAnUntrustedPeerIsIgnored() throws IOException {
        try (RawWebSocket ws = RawWebSocket.connectFrom(InetAddress.getByName("127.0.0.2"), port, PATH,
                TrustedProxies.X_FORWARDED_FOR + ": 203.0.113.7")) {
            ws.sendBinary(InitPacket.newSession(WireFormat.PROTOCOL_PING, 1).encode());
            SessionToken token = SessionToken.of(ws.readUntil(RawWebSocket.BINARY).payload());

            InetSocketAddress[] remote = new InetSocketAddress[1];
            sessions.forEach(WireFormat.PROTOCOL_PING, session -> {
                if (session.token().equals(token)) {
                    remote[0] = session.remoteAddress();
                }
            });

            assertThat(remote[0].getAddress().getHostAddress()).isEqualTo("127.0.0.2");
            assertThat(remote[0].getPort()).isPositive();
        }
    }

    @Test
    void endpointServesTheConfiguredPathOnly() throws IOException {
        assertThat(RawWebSocket.upgradeStatus(port, PATH)).contains("101");
        assertThat(RawWebSocket.upgradeStatus(port, "/aphelion")).doesNotContain("101");
    }

    @Test
    void initTimeoutRunsFromTheAccept() throws IOException {
        InitTimeoutFromAcceptTest.initTimeoutRunsFromTheAccept(port, PATH);
    }

    @Test
    void shutdownClosesEveryWebSocketWith1001AndRefusesNewOnesUntilTheServerAdmitsAgain() throws Exception {
        AphelionConnection game = connect(client(WireFormat.PROTOCOL_GAME), new RecordingListener());
        try (RawWebSocket awaitingInit = RawWebSocket.connect(port, PATH)) {
            // Stopping waits for every websocket to close: the raw one closes once it heard its 1001.
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(shutdown::stop);
            try {
                assertThat(awaitingInit.readUntilClose().closeCode()).isEqualTo(CloseCodes.GOING_AWAY);
                awaitingInit.close();
                assertThat(closeStatus(game).code()).isEqualTo(CloseCodes.GOING_AWAY);
                stopped.get(WAIT.toSeconds(), TimeUnit.SECONDS);

                assertThatThrownBy(() -> join(client(WireFormat.PROTOCOL_PING).connect(new RecordingListener())))
                        .hasCauseInstanceOf(AphelionHandshakeException.class)
                        .satisfies(refused -> assertThat(((AphelionHandshakeException) refused.getCause()).closeCode())
                                .isEqualTo(CloseCodes.GOING_AWAY));
            }
            finally {
                stopped.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                shutdown.start();
            }
        }
        assertThat(connect(client(WireFormat.PROTOCOL_PING), new RecordingListener()).token()).as("admitted again").isNotNull();
    }

    @Test
    void applicationsDecoratorSeesEachWebSocketAndEachBinaryMessage() throws Exception {
        WebSocketHandlerDecoratorTest.decoratorSeesEachWebSocketAndEachBinaryMessage(decorator, port, PATH);
    }

    @Test
    void applicationsDecoratorCanRefuseAWebSocketBeforeTheAphelionHandlerHearsOfIt() {
        WebSocketHandlerDecoratorTest.decoratorCanRefuseAWebSocket(decorator, sessions, openWebSockets,
                () -> join(client(WireFormat.PROTOCOL_PING).connect(new RecordingListener())));
    }
}
