package io.aphelion.server.cluster;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.aphelion.server.config.AphelionProperties;
import io.aphelion.server.protocol.game.GameSessions;
import io.aphelion.server.protocol.game.NicknameRegistry;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.transport.RelayCredentials;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.aphelion.server.observability.GracefulShutdown;
import io.aphelion.server.observability.SessionHandover;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.data.redis.serializer.RedisSerializer;

/**
 * Cluster mode ({@code aphelion.cluster.enabled=true}; docs/CLUSTER.md): the session directory,
 * relay links, node-to-node messages and nicknames in Redis, through Spring Boot's own Redis
 * connection factory ({@code spring.data.redis.*}). Its beans take the place of the single node's
 * ({@code SessionDirectory.LOCAL}, {@code OtherNodes.NONE}, {@code RelayCredentials.NONE}, the
 * in-memory nicknames). Imported by {@code AphelionAutoConfiguration}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "aphelion.cluster.enabled", havingValue = "true")
public class ClusterConfiguration {

    @Bean(destroyMethod = "")
    ScheduledExecutorService aphelionClusterThread() {
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1, daemonThreads("aphelion-cluster"));
        thread.setRemoveOnCancelPolicy(true);
        return thread;
    }

    /**
     * Where init packets that need the directory are accepted (a new session, a token held by
     * another node): their Redis round trips, relay links and moves wait here, never on a socket's
     * reading thread. Past {@value #INIT_QUEUE} waiting, an init packet gets 4105.
     */
    @Bean(destroyMethod = "shutdown")
    ExecutorService aphelionClusterInitPool() {
        return new ThreadPoolExecutor(INIT_THREADS, INIT_THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(INIT_QUEUE), daemonThreads("aphelion-cluster-init-"));
    }

    /** Threads accepting init packets that wait for Redis (each waits one round trip, or a move). */
    static final int INIT_THREADS = 4;

    /** Init packets that may wait for those threads. */
    static final int INIT_QUEUE = 10_000;

    @Bean(destroyMethod = "shutdown")
    ExecutorService aphelionRelayExecutor() {
        return Executors.newFixedThreadPool(2, daemonThreads("aphelion-relay-"));
    }

    /** Daemon threads named {@code name}, or {@code name} and a number when it ends with '-'. */
    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name.endsWith("-") ? name + count.incrementAndGet() : name);
            thread.setDaemon(true);
            return thread;
        };
    }

    @Bean
    ClusterRedis aphelionClusterRedis(RedisConnectionFactory redis, AphelionProperties properties,
            ObjectProvider<MeterRegistry> meters) {
        StringRedisTemplate strings = new StringRedisTemplate(redis);
        RedisTemplate<String, byte[]> bytes = new RedisTemplate<>();
        bytes.setConnectionFactory(redis);
        bytes.setKeySerializer(RedisSerializer.string());
        bytes.setValueSerializer(RedisSerializer.byteArray());
        bytes.afterPropertiesSet();
        return new ClusterRedis(strings, bytes, properties.getCluster().getKeyPrefix(),
                meters.getIfAvailable(SimpleMeterRegistry::new));
    }

    @Bean
    ClusterNodes aphelionClusterNodes(ClusterRedis redis, AphelionProperties properties) {
        AphelionProperties.Cluster cluster = properties.getCluster();
        // A thread of its own: the heartbeat never waits behind writes queued while Redis was slow.
        ScheduledThreadPoolExecutor heartbeat = new ScheduledThreadPoolExecutor(1, daemonThreads("aphelion-cluster-heartbeat"));
        heartbeat.setRemoveOnCancelPolicy(true);
        return new ClusterNodes(redis, cluster.getHeartbeatInterval(), cluster.getNodeTimeout(), heartbeat);
    }

    @Bean
    RelayCredentials aphelionRelayCredentials(ClusterNodes nodes, AphelionProperties properties) {
        return new RelayCredentials(nodes.id(), properties.getCluster().getSecret(), System::currentTimeMillis);
    }

    @Bean
    RelayLinks aphelionRelayLinks(RelayCredentials credentials, AphelionProperties properties, ExecutorService aphelionRelayExecutor,
            ObjectProvider<MeterRegistry> meters) {
        return new RelayLinks(credentials, properties.getWebsocket().getPath(), properties.getCluster().getRelayConnectTimeout(),
                aphelionRelayExecutor, meters.getIfAvailable(SimpleMeterRegistry::new));
    }

    @Bean
    ClusterDirectory aphelionSessionDirectory(ClusterRedis redis, ClusterNodes nodes, RelayLinks relays,
            ScheduledExecutorService aphelionClusterThread, ExecutorService aphelionClusterInitPool, AphelionProperties properties,
            ObjectProvider<MeterRegistry> meters) {
        return new ClusterDirectory(redis, nodes, relays, aphelionClusterThread, aphelionClusterInitPool,
                properties.getCluster().getRelayConnectTimeout(), meters.getIfAvailable(SimpleMeterRegistry::new));
    }

    /** The other nodes for {@code GameSessions}, and where this node's sessions go when it stops ({@link SessionHandover}). */
    @Bean
    ClusterMessages aphelionOtherNodes(ClusterRedis redis, ClusterNodes nodes, ClusterDirectory directory, SessionRegistry registry,
            ObjectProvider<GameSessions> gameSessions, ScheduledExecutorService aphelionClusterThread,
            ExecutorService aphelionClusterMessagesThread, AphelionProperties properties) {
        return new ClusterMessages(redis, nodes, directory, registry, gameSessions::getObject, aphelionClusterThread,
                aphelionClusterMessagesThread, properties.getShutdown().getTimeout());
    }

    /**
     * The one thread that handles what comes from Redis, in the order published (Spring's default
     * runs each message on a thread of its own, and two broadcasts of one sender could swap); a
     * drain's hand-overs run there too.
     */
    @Bean(destroyMethod = "shutdown")
    ExecutorService aphelionClusterMessagesThread() {
        return Executors.newSingleThreadExecutor(daemonThreads("aphelion-cluster-messages"));
    }

    @Bean
    RedisMessageListenerContainer aphelionClusterListener(RedisConnectionFactory redis, ClusterMessages messages,
            ExecutorService aphelionClusterMessagesThread) {
        RedisMessageListenerContainer container = new RedisMessageListenerContainer();
        container.setConnectionFactory(redis);
        container.setPhase(REDIS_PHASE); // it still listens while the node hands its sessions over
        container.setTaskExecutor(aphelionClusterMessagesThread);
        for (String channel : messages.channels()) {
            container.addMessageListener(messages, new ChannelTopic(channel));
        }
        return container;
    }

    /**
     * Redis (Boot's connection factory, the listener) starts before the web server, so a node is
     * subscribed before it serves anyone, and stops after the node's graceful shutdown, after it
     * left the cluster and after the web server: lifecycles start from the lowest phase up and
     * stop from the highest down (the web server's is {@code SMART_LIFECYCLE_PHASE - 1024}).
     */
    static final int REDIS_PHASE = GracefulShutdown.PHASE - 4096;

    /** The node leaves the cluster after its sessions were handed over or ended, before Redis stops. */
    static final int MEMBERSHIP_PHASE = GracefulShutdown.PHASE - 256;

    @Bean
    static BeanPostProcessor aphelionRedisStopsLast() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String beanName) {
                if (bean instanceof LettuceConnectionFactory factory) {
                    factory.setPhase(REDIS_PHASE);
                }
                return bean;
            }
        };
    }

    @Bean
    NicknameRegistry aphelionNicknames(ClusterRedis redis) {
        return new RedisNicknames(redis);
    }

    @Bean
    ClusterMembership aphelionClusterMembership(ClusterNodes nodes, ClusterDirectory directory, SessionRegistry registry,
            AphelionProperties properties, Environment environment, ScheduledExecutorService aphelionClusterThread) {
        return new ClusterMembership(nodes, directory, registry, properties.getCluster().getAdvertiseAddress(),
                environment.getProperty("server.address"), aphelionClusterThread);
    }

    /**
     * Joins the cluster once the web server has its port (the first heartbeat, before readiness
     * says UP), and leaves it at shutdown: after the sessions were closed, their directory
     * entries are written out, then the heartbeat is removed.
     */
    static final class ClusterMembership implements ApplicationListener<WebServerInitializedEvent>, SmartLifecycle {

        private static final Logger log = LoggerFactory.getLogger(ClusterMembership.class);

        private final ClusterNodes nodes;
        private final ClusterDirectory directory;
        private final SessionRegistry registry;
        private final String advertiseAddress;
        private final String serverAddress;
        private final ScheduledExecutorService thread;

        ClusterMembership(ClusterNodes nodes, ClusterDirectory directory, SessionRegistry registry, String advertiseAddress,
                String serverAddress, ScheduledExecutorService thread) {
            this.nodes = nodes;
            this.directory = directory;
            this.registry = registry;
            this.advertiseAddress = advertiseAddress;
            this.serverAddress = serverAddress;
            this.thread = thread;
        }

        @Override
        public void onApplicationEvent(WebServerInitializedEvent event) {
            if (event.getApplicationContext().getServerNamespace() != null) {
                return; // the management server's, when it has a port of its own
            }
            String address = advertiseAddress == null || advertiseAddress.isEmpty()
                    ? ownHost() + ":" + event.getWebServer().getPort() : advertiseAddress;
            nodes.start(address, new ClusterNodes.Counts() {

                @Override
                public int sessions(int protocol) {
                    return registry.liveSessions(protocol);
                }

                @Override
                public int connected(int protocol) {
                    return registry.connectedSessions(protocol);
                }
            }, () -> thread.execute(() -> directory.reclaim(registry.all()))); // behind the writes, not on the heartbeat
        }

        private String ownHost() {
            if (serverAddress != null && !serverAddress.isEmpty() && !"0.0.0.0".equals(serverAddress) && !"::".equals(serverAddress)) {
                return serverAddress.contains(":") ? "[" + serverAddress + "]" : serverAddress;
            }
            try {
                return InetAddress.getLocalHost().getHostAddress();
            }
            catch (UnknownHostException ex) {
                throw new IllegalStateException("Cannot tell this host's address: set aphelion.cluster.advertise-address", ex);
            }
        }

        private volatile boolean running;

        @Override
        public void start() {
            running = true;
        }

        /** Leaves the cluster: after the sessions were handed over or ended (a higher phase), before Redis stops. */
        @Override
        public void stop() {
            running = false;
            thread.shutdown(); // what was written behind (ended sessions) goes out first
            try {
                if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("Cluster writes still pending at shutdown were dropped");
                    thread.shutdownNow();
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            nodes.stop();
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        @Override
        public int getPhase() {
            return MEMBERSHIP_PHASE;
        }
    }
}
