package io.aphelion.server.config;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.aphelion.server.handshake.HandshakeService;
import io.aphelion.server.handshake.HandshakeService.ServedProtocol;
import io.aphelion.server.observability.TransportMetrics;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.GameMessageServiceDecorator;
import io.aphelion.server.protocol.game.GameProtocol;
import io.aphelion.server.protocol.game.GameSessions;
import io.aphelion.server.protocol.game.LobbyGameMessageService;
import io.aphelion.server.protocol.ping.PingProtocol;
import io.aphelion.server.session.AckFlusher;
import io.aphelion.server.session.Connection;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.TransportSettings;
import io.aphelion.server.support.Scheduler;
import io.aphelion.server.support.SystemScheduler;
import io.aphelion.server.transport.AphelionWebSocketHandler;
import io.aphelion.server.transport.ConnectionFactory;
import io.aphelion.server.transport.OpenWebSockets;
import io.aphelion.wire.WireFormat;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * Wires the Aphelion transport. Every bean backs off when the application declares its own,
 * above all {@link GameMessageService}, which protocol 2 gets wrapped in every
 * {@link GameMessageServiceDecorator} bean, in order.
 */
@AutoConfiguration
@EnableConfigurationProperties(AphelionProperties.class)
@Import({ WebSocketEndpointConfiguration.class, NativeWebSocketEndpointConfiguration.class,
        JettyTransportConfiguration.class })
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
            ObjectProvider<TransportMetrics> metrics) {
        return new SessionRegistry(scheduler, settings, metrics.getIfAvailable(() -> TransportMetrics.NONE));
    }

    @Bean
    @ConditionalOnMissingBean
    GameSessions aphelionGameSessions(SessionRegistry registry) {
        return new GameSessions(registry);
    }

    @Bean
    @ConditionalOnMissingBean(GameMessageService.class)
    LobbyGameMessageService lobbyGameMessageService(GameSessions sessions, Scheduler scheduler) {
        return new LobbyGameMessageService(sessions, scheduler::nanoTime);
    }

    /** The threads the GameMessageService runs on; each session's work is serialised on top of it. */
    @Bean(name = "aphelionGameExecutor", destroyMethod = "shutdown")
    @ConditionalOnMissingBean(name = "aphelionGameExecutor")
    ExecutorService aphelionGameExecutor(AphelionProperties properties) {
        int threads = properties.getGame().effectiveThreads();
        AtomicInteger count = new AtomicInteger();
        return new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
            Thread thread = new Thread(runnable, "aphelion-game-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    @Bean
    @ConditionalOnMissingBean
    HandshakeService aphelionHandshakeService(AphelionProperties properties, SessionRegistry registry,
            Scheduler scheduler, GameMessageService gameMessageService, ObjectProvider<GameMessageServiceDecorator> gameDecorators,
            @org.springframework.beans.factory.annotation.Qualifier("aphelionGameExecutor") ExecutorService gameExecutor) {
        AphelionProperties.VersionRange ping = properties.getProtocols().getPing();
        AphelionProperties.VersionRange game = properties.getProtocols().getGame();
        return new HandshakeService(registry, Map.of(
                WireFormat.PROTOCOL_PING, new ServedProtocol(ping.getMinVersion(), ping.getMaxVersion(),
                        new PingProtocol(registry, scheduler)),
                WireFormat.PROTOCOL_GAME, new ServedProtocol(game.getMinVersion(), game.getMaxVersion(),
                        new GameProtocol(GameMessageServiceDecorator.decorateAll(gameMessageService, gameDecorators.orderedStream()),
                                gameExecutor, properties.getSession().getMaxPendingInbound()))));
    }

    /** Makes the {@link Connection} of each websocket, for either engine. */
    @Bean
    @ConditionalOnMissingBean
    ConnectionFactory aphelionConnectionFactory(HandshakeService handshake, Scheduler scheduler,
            TransportSettings settings, ObjectProvider<TransportMetrics> metrics) {
        TransportMetrics reporter = metrics.getIfAvailable(() -> TransportMetrics.NONE);
        AckFlusher ackFlusher = new AckFlusher(scheduler, settings.ackDelay());
        return sink -> new Connection(sink, handshake, scheduler, settings, reporter, ackFlusher);
    }

    @Bean
    @ConditionalOnMissingBean
    AphelionWebSocketHandler aphelionWebSocketHandler(ConnectionFactory connections) {
        return new AphelionWebSocketHandler(connections);
    }

    /** Every open websocket, and whether new ones are admitted (graceful shutdown stops it). */
    @Bean
    @ConditionalOnMissingBean
    OpenWebSockets aphelionOpenWebSockets() {
        return new OpenWebSockets();
    }

    static Duration websocketIdleTimeout(AphelionProperties.Websocket ws) {
        // Liveness is ours (pings and pongs); Jetty's idle timer is only a backstop behind it.
        return ws.getPingInterval().plus(ws.getPongTimeout()).multipliedBy(2);
    }
}
