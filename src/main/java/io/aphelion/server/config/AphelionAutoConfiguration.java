package io.aphelion.server.config;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.aphelion.server.cluster.ClusterConfiguration;
import io.aphelion.server.handshake.HandshakeService;
import io.aphelion.server.handshake.ServedProtocol;
import io.aphelion.server.session.TransportMetrics;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.GameService;
import io.aphelion.server.protocol.game.GameServiceDecorator;
import io.aphelion.server.protocol.game.GameProtocol;
import io.aphelion.server.protocol.game.GameSessions;
import io.aphelion.server.protocol.game.LobbyGameMessageService;
import io.aphelion.server.protocol.game.NicknameRegistry;
import io.aphelion.server.protocol.game.OtherNodes;
import io.aphelion.server.protocol.ping.PingProtocol;
import io.aphelion.server.session.AckFlusher;
import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.Keepalive;
import io.aphelion.server.session.SessionDirectory;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.TransportSettings;
import io.aphelion.server.support.Scheduler;
import io.aphelion.server.support.SystemScheduler;
import io.aphelion.server.transport.AdmissionWebSocketHandlerDecorator;
import io.aphelion.server.transport.AllowedOrigins;
import io.aphelion.server.transport.AphelionWebSocketHandler;
import io.aphelion.server.transport.ClientConnectionFactory;
import io.aphelion.server.transport.OpenWebSockets;
import io.aphelion.server.transport.RelayCredentials;
import io.aphelion.server.transport.TrustedProxies;
import io.aphelion.server.transport.servletengine.JettyFrameSink;
import io.aphelion.wire.WireFormat;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.handler.WebSocketHandlerDecoratorFactory;

/**
 * Wires the Aphelion transport. Every bean backs off when the application declares its own,
 * above all the game ({@link GameService}, or {@link GameMessageService} over game.proto), which
 * protocol 2 gets wrapped in every {@link GameServiceDecorator} bean, in order. Both websocket
 * engines share what sits at the edge: one handler chain ({@link #aphelionEndpointHandler}, with
 * every {@link WebSocketHandlerDecoratorFactory} bean), the allowed origins, the trusted proxies
 * and the idle timeout.
 */
@AutoConfiguration
@EnableConfigurationProperties(AphelionProperties.class)
@Import({ WebSocketEndpointConfiguration.class, NativeWebSocketEndpointConfiguration.class,
        JettyTransportConfiguration.class, ClusterConfiguration.class })
public class AphelionAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(Scheduler.class)
    SystemScheduler aphelionScheduler() {
        return new SystemScheduler(1);
    }

    @Bean
    @ConditionalOnMissingBean
    TransportSettings aphelionTransportSettings(AphelionProperties properties) {
        AphelionProperties.Websocket ws = properties.getWebsocket();
        AphelionProperties.Session session = properties.getSession();
        return new TransportSettings(ws.getInitTimeout(), ws.getPingInterval(), ws.getPongTimeout(),
                ws.getAckDelay(), session.getAckTimeout(), session.getNonAckingGrace(), session.getExpiry(), session.getMaxConnections(),
                session.getSendBuffer().getMaxBytes().toBytes(), session.getSendBuffer().getMaxMessages(),
                new TransportSettings.RateLimit(ws.getRateLimit().getMessagesPerSecond(), ws.getRateLimit().getBurst()));
    }

    @Bean
    @ConditionalOnMissingBean
    SessionRegistry aphelionSessionRegistry(Scheduler scheduler, TransportSettings settings,
            ObjectProvider<TransportMetrics> metrics, ObjectProvider<SessionDirectory> directory) {
        return new SessionRegistry(scheduler, settings, metrics.getIfAvailable(() -> TransportMetrics.NONE),
                directory.getIfAvailable(() -> SessionDirectory.LOCAL));
    }

    @Bean
    @ConditionalOnMissingBean
    GameSessions aphelionGameSessions(SessionRegistry registry, ObjectProvider<OtherNodes> otherNodes) {
        return new GameSessions(registry, otherNodes.getIfAvailable(() -> OtherNodes.NONE));
    }

    /** The default game: a lobby. Any {@link GameService} bean of the application replaces it. */
    @Bean
    @ConditionalOnMissingBean(GameService.class)
    LobbyGameMessageService lobbyGameMessageService(GameSessions sessions, Scheduler scheduler,
            ObjectProvider<NicknameRegistry> nicknames) {
        return new LobbyGameMessageService(sessions, scheduler::nanoTime, nicknames.getIfAvailable(NicknameRegistry::inMemory));
    }

    /**
     * Verifies other cluster nodes' relay links at the upgrade (both engines); outside a cluster
     * it refuses every relay header.
     */
    @Bean
    @ConditionalOnMissingBean
    RelayCredentials aphelionRelayCredentials() {
        return RelayCredentials.NONE;
    }

    /**
     * The threads the game service runs on; each session's work is serialised on top of it. The
     * pool's queue holds at most one task per session that has work (its serial executor's drain)
     * and at most {@code aphelion.game.queue-capacity}: past it, a session's work waits in its own
     * backlog and is offered again every 10 ms, nothing lost; that backlog is bounded by
     * {@code aphelion.session.max-pending-inbound}, past which its connection is closed with 1008.
     */
    @Bean(name = "aphelionGameExecutor", destroyMethod = "shutdown")
    @ConditionalOnMissingBean(name = "aphelionGameExecutor")
    ExecutorService aphelionGameExecutor(AphelionProperties properties) {
        int threads = properties.getGame().effectiveThreads();
        AtomicInteger count = new AtomicInteger();
        return new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(properties.getGame().getQueueCapacity()), runnable -> {
            Thread thread = new Thread(runnable, "aphelion-game-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Protocol 1 (ping), served by the server itself. */
    @Bean
    @ConditionalOnMissingBean(name = "aphelionPingProtocol")
    ServedProtocol aphelionPingProtocol(AphelionProperties properties, SessionRegistry registry, Scheduler scheduler) {
        AphelionProperties.VersionRange ping = properties.getProtocols().getPing();
        return new ServedProtocol(WireFormat.PROTOCOL_PING, ping.getMinVersion(), ping.getMaxVersion(),
                new PingProtocol(registry, scheduler));
    }

    /** Protocol 2 (game), handed to the application's {@link GameService} (the lobby by default). */
    @Bean
    @ConditionalOnMissingBean(name = "aphelionGameProtocol")
    ServedProtocol aphelionGameProtocol(AphelionProperties properties, GameService<?, ?> gameService,
            ObjectProvider<GameServiceDecorator> gameDecorators, @Qualifier("aphelionGameExecutor") ExecutorService gameExecutor,
            Scheduler scheduler) {
        AphelionProperties.VersionRange game = properties.getProtocols().getGame();
        return new ServedProtocol(WireFormat.PROTOCOL_GAME, game.getMinVersion(), game.getMaxVersion(),
                new GameProtocol<>(GameServiceDecorator.decorateAll(gameService, gameDecorators.orderedStream()),
                        gameExecutor, properties.getSession().getMaxPendingInbound(), scheduler));
    }

    /** Checks init packets against every {@link ServedProtocol} bean. */
    @Bean
    @ConditionalOnMissingBean
    HandshakeService aphelionHandshakeService(SessionRegistry registry, List<ServedProtocol> protocols) {
        return new HandshakeService(registry, protocols);
    }

    /** Sends the acks that found no outgoing packet to ride on within {@code ack-delay}. */
    @Bean
    @ConditionalOnMissingBean
    AckFlusher aphelionAckFlusher(Scheduler scheduler, TransportSettings settings) {
        return new AckFlusher(scheduler, settings.ackDelay());
    }

    /**
     * Pings every open connection every {@code ping-interval} and closes it with 4103 past the
     * {@code pong-timeout}: one timing wheel and one timer for all connections, on a tick of 1 s
     * (or 1/16 of the shorter setting), which is how late a ping or a 4103 may be.
     */
    @Bean
    @ConditionalOnMissingBean
    Keepalive aphelionKeepalive(Scheduler scheduler, TransportSettings settings) {
        return new Keepalive(scheduler, settings.pingInterval(), settings.pongTimeout());
    }

    /** Makes the {@link ClientConnection} of each websocket, for either engine. */
    @Bean
    @ConditionalOnMissingBean
    ClientConnectionFactory aphelionConnectionFactory(HandshakeService handshake, Scheduler scheduler,
            TransportSettings settings, AckFlusher ackFlusher, Keepalive keepalive, ObjectProvider<TransportMetrics> metrics) {
        TransportMetrics reporter = metrics.getIfAvailable(() -> TransportMetrics.NONE);
        return sink -> new ClientConnection(sink, handshake, scheduler, settings, reporter, ackFlusher, keepalive);
    }

    @Bean
    @ConditionalOnMissingBean
    AphelionWebSocketHandler aphelionWebSocketHandler(ClientConnectionFactory connections, Scheduler scheduler,
            AphelionProperties properties) {
        // The native engine's sessions hold their own sink; Spring's (the servlet engine's) write through Jetty's.
        return new AphelionWebSocketHandler(connections,
                JettyFrameSink.factory(scheduler, properties.getWebsocket().getSendTimeLimit()));
    }

    /**
     * The handler both engines hand every websocket to: admission first (a websocket refused during
     * shutdown reaches no application code), then the application's
     * {@link WebSocketHandlerDecoratorFactory} beans in order (the first wraps the Aphelion handler,
     * the next wraps that, so the last is called first), then {@link AphelionWebSocketHandler}.
     */
    @Bean
    @ConditionalOnMissingBean
    AdmissionWebSocketHandlerDecorator aphelionEndpointHandler(AphelionWebSocketHandler handler, OpenWebSockets openWebSockets,
            ObjectProvider<WebSocketHandlerDecoratorFactory> decorators) {
        WebSocketHandler decorated = handler;
        for (WebSocketHandlerDecoratorFactory decorator : decorators.orderedStream().toList()) {
            decorated = decorator.decorate(decorated);
        }
        return new AdmissionWebSocketHandlerDecorator(decorated, openWebSockets);
    }

    /** The browser origins allowed to connect ({@code aphelion.websocket.allowed-origins}), for both engines. */
    @Bean
    @ConditionalOnMissingBean
    AllowedOrigins aphelionAllowedOrigins(AphelionProperties properties) {
        return AllowedOrigins.of(properties.getWebsocket().getAllowedOrigins());
    }

    /**
     * The proxies whose {@code X-Forwarded-For} names the client ({@code aphelion.websocket.trusted-proxies}),
     * parsed once for both engines.
     */
    @Bean
    @ConditionalOnMissingBean
    TrustedProxies aphelionTrustedProxies(AphelionProperties properties) {
        return TrustedProxies.parse(properties.getWebsocket().getTrustedProxies());
    }

    /** Every open websocket, and whether new ones are admitted (graceful shutdown stops it). */
    @Bean
    @ConditionalOnMissingBean
    OpenWebSockets aphelionOpenWebSockets() {
        return new OpenWebSockets();
    }

    /** The idle timeout of every websocket, on both engines. */
    static Duration websocketIdleTimeout(AphelionProperties.Websocket ws) {
        // Liveness is ours (pings and pongs); Jetty's idle timer is only a backstop behind it.
        return ws.getPingInterval().plus(ws.getPongTimeout()).multipliedBy(2);
    }
}
