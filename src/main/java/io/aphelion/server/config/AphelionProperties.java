package io.aphelion.server.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.aphelion.server.transport.TrustedProxies;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Configuration of the Aphelion server, under the {@code aphelion} prefix. The defaults are the
 * ones {@code docs/PRODUCT.md} fixes; {@code application.yml} at the top of the repository lists every
 * key. Checked at start-up: a bad value stops the server with a message naming the key.
 */
@ConfigurationProperties("aphelion")
public class AphelionProperties implements Validator {

    private final Websocket websocket = new Websocket();

    private final Session session = new Session();

    private final Protocols protocols = new Protocols();

    private final Game game = new Game();

    private final Shutdown shutdown = new Shutdown();

    private final Cluster cluster = new Cluster();

    public Websocket getWebsocket() {
        return websocket;
    }

    public Session getSession() {
        return session;
    }

    public Protocols getProtocols() {
        return protocols;
    }

    public Game getGame() {
        return game;
    }

    public Shutdown getShutdown() {
        return shutdown;
    }

    public Cluster getCluster() {
        return cluster;
    }

    public static class Websocket {

        /**
         * Path of the websocket endpoint. Requests to any other path are not upgraded.
         */
        private String path = "/aphelion";

        /**
         * Time from the TCP accept to a complete init packet. Past it, the websocket is closed with
         * 4004; an HTTP request whose headers have not all arrived by then is closed too.
         */
        private Duration initTimeout = Duration.ofSeconds(10);

        /**
         * Maximum size of one frame from a client, ack byte included. A larger frame closes the
         * connection with 1009.
         */
        private DataSize maxMessageSize = DataSize.ofKilobytes(64);

        /**
         * Browser origins allowed to connect, as patterns ("https://*.example.com"). "*" allows
         * any origin; clients that send no Origin header (native clients) are always allowed.
         */
        private List<String> allowedOrigins = new ArrayList<>(List.of("*"));

        /**
         * Interval of websocket ping frames on every connection. Keeps proxies' idle timers
         * quiet: keep it below the shortest idle timeout between client and server.
         */
        private Duration pingInterval = Duration.ofSeconds(20);

        /**
         * Time a connection has to answer a websocket ping with a pong. Past it, the connection
         * is closed with 4103 and its reliable messages move to another connection of its
         * session.
         */
        private Duration pongTimeout = Duration.ofSeconds(20);

        /**
         * Longest time an ack waits for an outgoing packet to ride on before it is sent alone in
         * an ack-only packet. Acks go out sooner when the handler of the packet is done.
         */
        private Duration ackDelay = Duration.ofMillis(2);

        /**
         * Longest time one write to a client may take. A client that takes no bytes for that long
         * (its receive window stays full) is dropped as if its connection broke: 1006, and the
         * session waits to be resumed. 0 turns the limit off (the pong timeout still applies).
         */
        private Duration sendTimeLimit = Duration.ofSeconds(10);

        /**
         * Proxies whose X-Forwarded-For header gives the client's address, as IP addresses or
         * CIDR blocks ("127.0.0.1", "10.0.0.0/8", "::1"). The client is the right-most entry not
         * itself trusted. Empty (the default): trust no one, the client is the socket's peer.
         */
        private List<String> trustedProxies = new ArrayList<>();

        /**
         * Which websocket implementation serves the endpoint. "native": the server answers the
         * upgrade itself in front of the servlet context and speaks RFC 6455 directly on Jetty's
         * socket, reading on the selector thread and coalescing writes (several times less heap
         * per connection, more handshakes and round trips per second; docs/BENCHMARKS.md).
         * "servlet": Spring's websocket support behind the servlet container, for when servlet
         * filters (Spring Security, say) must see the upgrade. Both hand every websocket to the
         * same Spring handler chain (WebSocketHandlerDecoratorFactory beans included), with the
         * same origins, trusted proxies and limits: same protocol behaviour.
         */
        private Engine engine = Engine.NATIVE;

        private final RateLimit rateLimit = new RateLimit();

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public Duration getInitTimeout() {
            return initTimeout;
        }

        public void setInitTimeout(Duration initTimeout) {
            this.initTimeout = initTimeout;
        }

        public DataSize getMaxMessageSize() {
            return maxMessageSize;
        }

        public void setMaxMessageSize(DataSize maxMessageSize) {
            this.maxMessageSize = maxMessageSize;
        }

        public List<String> getAllowedOrigins() {
            return allowedOrigins;
        }

        public void setAllowedOrigins(List<String> allowedOrigins) {
            this.allowedOrigins = allowedOrigins;
        }

        public Duration getPingInterval() {
            return pingInterval;
        }

        public void setPingInterval(Duration pingInterval) {
            this.pingInterval = pingInterval;
        }

        public Duration getSendTimeLimit() {
            return sendTimeLimit;
        }

        public void setSendTimeLimit(Duration sendTimeLimit) {
            this.sendTimeLimit = sendTimeLimit;
        }

        public Duration getPongTimeout() {
            return pongTimeout;
        }

        public void setPongTimeout(Duration pongTimeout) {
            this.pongTimeout = pongTimeout;
        }

        public Duration getAckDelay() {
            return ackDelay;
        }

        public void setAckDelay(Duration ackDelay) {
            this.ackDelay = ackDelay;
        }

        public List<String> getTrustedProxies() {
            return trustedProxies;
        }

        public void setTrustedProxies(List<String> trustedProxies) {
            this.trustedProxies = trustedProxies;
        }

        public RateLimit getRateLimit() {
            return rateLimit;
        }

        public Engine getEngine() {
            return engine;
        }

        public void setEngine(Engine engine) {
            this.engine = engine;
        }
    }

    /** The websocket implementations of {@code aphelion.websocket.engine}. */
    /**
     * Frames one connection may send (a token bucket, per connection, for every protocol): data
     * frames and websocket pings after the init packet. Past it the connection is closed with 4104.
     */
    public static class RateLimit {

        /** Sustained frames per second one connection may send; 0 turns the limit off. */
        private int messagesPerSecond = 5000;

        /** Frames one connection may send at once, on top of the sustained rate, after a quiet period. */
        private int burst = 10000;

        public int getMessagesPerSecond() {
            return messagesPerSecond;
        }

        public void setMessagesPerSecond(int messagesPerSecond) {
            this.messagesPerSecond = messagesPerSecond;
        }

        public int getBurst() {
            return burst;
        }

        public void setBurst(int burst) {
            this.burst = burst;
        }
    }

    public enum Engine {
        /** Spring's websocket handler, upgraded through the servlet container. */
        SERVLET,
        /** The server's own upgrade and RFC 6455 framing on Jetty's socket, in front of the servlet context. */
        NATIVE
    }

    public static class Session {

        /**
         * How long a session outlives its last connection. Until then, its token resumes it and
         * its unacked reliable messages are kept for the connection that resumes it.
         */
        private Duration expiry = Duration.ofSeconds(30);

        /**
         * Connections one session may hold at once. A connection past it is refused with 4100;
         * the session is unaffected.
         */
        private int maxConnections = 8;

        /**
         * Time a packet sent on a connection may stay unacked, for a session whose client acks.
         * Past it (checked per packet, not per ping), the connection is closed with 4102 and its
         * reliable messages move to another connection of the session.
         */
        private Duration ackTimeout = Duration.ofSeconds(30);

        /**
         * Time a session's client may receive payload packets without a single ack before it is
         * served as non-acking (the original 2015 client never acks): its packets then count as
         * delivered once written, nothing is replayed to it and no ack timeout applies. Until then,
         * or until its first ack, its packets are kept as an acking client's are.
         */
        private Duration nonAckingGrace = Duration.ofSeconds(10);

        private final SendBuffer sendBuffer = new SendBuffer();

        /**
         * Messages from one session that may wait for the game service at once. A client that
         * sends faster than its service handles them is closed with 1008.
         */
        private int maxPendingInbound = 1024;

        public Duration getExpiry() {
            return expiry;
        }

        public void setExpiry(Duration expiry) {
            this.expiry = expiry;
        }

        public int getMaxConnections() {
            return maxConnections;
        }

        public void setMaxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
        }

        public Duration getAckTimeout() {
            return ackTimeout;
        }

        public void setAckTimeout(Duration ackTimeout) {
            this.ackTimeout = ackTimeout;
        }

        public Duration getNonAckingGrace() {
            return nonAckingGrace;
        }

        public void setNonAckingGrace(Duration nonAckingGrace) {
            this.nonAckingGrace = nonAckingGrace;
        }

        public SendBuffer getSendBuffer() {
            return sendBuffer;
        }

        public int getMaxPendingInbound() {
            return maxPendingInbound;
        }

        public void setMaxPendingInbound(int maxPendingInbound) {
            this.maxPendingInbound = maxPendingInbound;
        }
    }

    public static class SendBuffer {

        /**
         * Maximum payload bytes one session may hold unsent or unacked. Volatile messages are
         * dropped first; a reliable message past it ends the session, closing its connections
         * with 4101.
         */
        private DataSize maxBytes = DataSize.ofMegabytes(1);

        /**
         * Maximum messages one session may hold unsent or unacked, counted as for max-bytes.
         */
        private int maxMessages = 4096;

        public DataSize getMaxBytes() {
            return maxBytes;
        }

        public void setMaxBytes(DataSize maxBytes) {
            this.maxBytes = maxBytes;
        }

        public int getMaxMessages() {
            return maxMessages;
        }

        public void setMaxMessages(int maxMessages) {
            this.maxMessages = maxMessages;
        }
    }

    public static class Protocols {

        private final VersionRange ping = new VersionRange();

        private final VersionRange game = new VersionRange();

        public VersionRange getPing() {
            return ping;
        }

        public VersionRange getGame() {
            return game;
        }
    }

    public static class VersionRange {

        /**
         * Oldest protocol version served. An init packet asking for an older one is closed with 4001.
         */
        private int minVersion = 1;

        /**
         * Newest protocol version served. An init packet asking for a newer one is closed with 4002.
         */
        private int maxVersion = 1;

        public int getMinVersion() {
            return minVersion;
        }

        public void setMinVersion(int minVersion) {
            this.minVersion = minVersion;
        }

        public int getMaxVersion() {
            return maxVersion;
        }

        public void setMaxVersion(int maxVersion) {
            this.maxVersion = maxVersion;
        }
    }

    public static class Shutdown {

        /**
         * Time to wait, once shutdown begins, for every websocket to finish its close handshake
         * after the server closed it with 1001. The web server stops after it.
         */
        private Duration timeout = Duration.ofSeconds(10);

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    public static class Game {

        /**
         * Threads that run the GameMessageService; 0 for twice the number of cores, at least 8
         * (so a few sessions whose service blocks, on a database say, do not hold up the rest).
         * Each session's messages and events run one at a time, in order; different sessions run
         * in parallel.
         */
        private int threads = 0;

        /**
         * Sessions with work that may wait for a game thread at once (the pool's queue holds one
         * entry per such session). Past it, a session's work stays in its own backlog and is
         * offered again every 10 ms; nothing is lost, and the backlog's own bound
         * (session.max-pending-inbound, then 1008) still applies.
         */
        private int queueCapacity = 100_000;

        public int getThreads() {
            return threads;
        }

        public int getQueueCapacity() {
            return queueCapacity;
        }

        public void setQueueCapacity(int queueCapacity) {
            this.queueCapacity = queueCapacity;
        }

        /** The thread count to use: {@link #getThreads()}, or twice the cores (at least 8) when it is 0. */
        public int effectiveThreads() {
            return threads > 0 ? threads : Math.max(8, 2 * Runtime.getRuntime().availableProcessors());
        }

        public void setThreads(int threads) {
            this.threads = threads;
        }
    }

    /** Cluster mode (docs/CLUSTER.md): off by default, a single node with no Redis. */
    public static class Cluster {

        /**
         * Join the cluster whose state lives in Redis (spring.data.redis.*): any node then serves
         * any session, and broadcasts, counts, look-ups by id and nicknames are cluster-wide.
         */
        private boolean enabled = false;

        /**
         * host:port at which the other nodes reach this one (its websocket port). Empty: this
         * server's own address (server.address, else this host's address) and port.
         */
        private String advertiseAddress = "";

        /**
         * Shared by every node of the cluster (required when enabled, at least 16 characters):
         * node-to-node relay links are signed with it, and an upgrade whose signature does not
         * verify is refused with 403. The secret itself never travels.
         */
        private String secret = "";

        /** Prefix of every Redis key and channel the cluster uses: clusters may share one Redis under different prefixes. */
        private String keyPrefix = "aphelion:";

        /** How often a node writes its heartbeat (and session counts) to Redis and reads the other nodes'. */
        private Duration heartbeatInterval = Duration.ofSeconds(1);

        /**
         * A node whose heartbeat is older than this is taken as gone: its sessions' tokens get a
         * new session elsewhere. Several heartbeat intervals.
         */
        private Duration nodeTimeout = Duration.ofSeconds(5);

        /** Time to open the relay link to the node that owns a session; past it the client is closed with 4105. */
        private Duration relayConnectTimeout = Duration.ofSeconds(3);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getAdvertiseAddress() {
            return advertiseAddress;
        }

        public void setAdvertiseAddress(String advertiseAddress) {
            this.advertiseAddress = advertiseAddress;
        }

        public String getSecret() {
            return secret;
        }

        public void setSecret(String secret) {
            this.secret = secret;
        }

        public String getKeyPrefix() {
            return keyPrefix;
        }

        public void setKeyPrefix(String keyPrefix) {
            this.keyPrefix = keyPrefix;
        }

        public Duration getHeartbeatInterval() {
            return heartbeatInterval;
        }

        public void setHeartbeatInterval(Duration heartbeatInterval) {
            this.heartbeatInterval = heartbeatInterval;
        }

        public Duration getNodeTimeout() {
            return nodeTimeout;
        }

        public void setNodeTimeout(Duration nodeTimeout) {
            this.nodeTimeout = nodeTimeout;
        }

        public Duration getRelayConnectTimeout() {
            return relayConnectTimeout;
        }

        public void setRelayConnectTimeout(Duration relayConnectTimeout) {
            this.relayConnectTimeout = relayConnectTimeout;
        }
    }

    @Override
    public boolean supports(Class<?> type) {
        return AphelionProperties.class.isAssignableFrom(type);
    }

    @Override
    public void validate(Object target, Errors errors) {
        AphelionProperties properties = (AphelionProperties) target;
        Websocket ws = properties.getWebsocket();
        if (ws.getPath() == null || !ws.getPath().startsWith("/")) {
            errors.rejectValue("websocket.path", "path", "must start with '/'");
        }
        positive(errors, "websocket.init-timeout", ws.getInitTimeout());
        if (properties.getGame().getQueueCapacity() < 1) {
            reject(errors, "game.queue-capacity", "must be at least 1");
        }
        positive(errors, "websocket.ping-interval", ws.getPingInterval());
        positive(errors, "websocket.pong-timeout", ws.getPongTimeout());
        if (ws.getAckDelay() == null || ws.getAckDelay().isNegative()) {
            reject(errors, "websocket.ack-delay", "must be zero or positive");
        }
        if (ws.getSendTimeLimit() == null || ws.getSendTimeLimit().isNegative()) {
            reject(errors, "websocket.send-time-limit", "must be zero (no limit) or positive");
        }
        if (ws.getMaxMessageSize() == null || ws.getMaxMessageSize().toBytes() < 2
                || ws.getMaxMessageSize().toBytes() > Integer.MAX_VALUE) {
            reject(errors, "websocket.max-message-size", "must be between 2B and 2GB");
        }
        if (ws.getRateLimit().getMessagesPerSecond() < 0 || ws.getRateLimit().getMessagesPerSecond() > 1_000_000_000) {
            reject(errors, "websocket.rate-limit.messages-per-second", "must be 0 (no limit) to 1000000000");
        }
        if (ws.getRateLimit().getBurst() < 1) {
            reject(errors, "websocket.rate-limit.burst", "must be at least 1");
        }
        if (ws.getEngine() == null) {
            reject(errors, "websocket.engine", "must be servlet or native");
        }
        if (ws.getAllowedOrigins() == null || ws.getAllowedOrigins().isEmpty()) {
            reject(errors, "websocket.allowed-origins", "must list at least one origin pattern (\"*\" for any)");
        }
        Session session = properties.getSession();
        positive(errors, "session.expiry", session.getExpiry());
        positive(errors, "session.ack-timeout", session.getAckTimeout());
        positive(errors, "session.non-acking-grace", session.getNonAckingGrace());
        if (session.getMaxConnections() < 1) {
            reject(errors, "session.max-connections", "must be at least 1");
        }
        if (session.getMaxPendingInbound() < 1) {
            reject(errors, "session.max-pending-inbound", "must be at least 1");
        }
        if (session.getSendBuffer().getMaxBytes() == null || session.getSendBuffer().getMaxBytes().toBytes() < 1) {
            reject(errors, "session.send-buffer.max-bytes", "must be at least 1B");
        }
        if (session.getSendBuffer().getMaxMessages() < 1) {
            reject(errors, "session.send-buffer.max-messages", "must be at least 1");
        }
        versions(errors, "protocols.ping", properties.getProtocols().getPing());
        versions(errors, "protocols.game", properties.getProtocols().getGame());
        if (ws.getTrustedProxies() == null) {
            reject(errors, "websocket.trusted-proxies", "must not be null (leave it empty to trust no proxy)");
        }
        else {
            try {
                TrustedProxies.parse(ws.getTrustedProxies());
            }
            catch (IllegalArgumentException ex) {
                reject(errors, "websocket.trusted-proxies", ex.getMessage());
            }
        }
        Duration shutdownTimeout = properties.getShutdown().getTimeout();
        if (shutdownTimeout == null || shutdownTimeout.isNegative()) {
            reject(errors, "shutdown.timeout", "must be zero or positive");
        }
        if (properties.getGame().getThreads() < 0) {
            reject(errors, "game.threads", "must be 0 (automatic) or more");
        }
        validateCluster(errors, properties.getCluster());
    }

    private static void validateCluster(Errors errors, Cluster cluster) {
        if (!cluster.isEnabled()) {
            return;
        }
        if (cluster.getSecret() == null || cluster.getSecret().length() < 16) {
            reject(errors, "cluster.secret", "must be set, at least 16 characters, the same on every node, when the cluster is enabled");
        }
        String address = cluster.getAdvertiseAddress();
        if (address != null && !address.isEmpty() && !address.matches("[^\\s/]+:\\d{1,5}")) {
            reject(errors, "cluster.advertise-address", "must be host:port (or empty for this server's own)");
        }
        if (cluster.getKeyPrefix() == null || cluster.getKeyPrefix().isEmpty()) {
            reject(errors, "cluster.key-prefix", "must not be empty");
        }
        if (!positive(cluster.getHeartbeatInterval())) {
            reject(errors, "cluster.heartbeat-interval", "must be positive");
        }
        else if (cluster.getNodeTimeout() == null || cluster.getNodeTimeout().compareTo(cluster.getHeartbeatInterval().multipliedBy(2)) < 0) {
            reject(errors, "cluster.node-timeout", "must be at least twice cluster.heartbeat-interval");
        }
        if (!positive(cluster.getRelayConnectTimeout())) {
            reject(errors, "cluster.relay-connect-timeout", "must be positive");
        }
    }

    private static boolean positive(Duration duration) {
        return duration != null && !duration.isNegative() && !duration.isZero();
    }

    private static void versions(Errors errors, String key, VersionRange range) {
        if (range.getMinVersion() < 1) {
            reject(errors, key + ".min-version", "must be at least 1 (version 0 means 'bypass the check' on the wire)");
        }
        if (range.getMaxVersion() < range.getMinVersion()) {
            reject(errors, key + ".max-version", "must not be below aphelion." + key + ".min-version");
        }
    }

    private static void positive(Errors errors, String key, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            reject(errors, key, "must be a positive duration");
        }
    }

    private static void reject(Errors errors, String key, String message) {
        errors.reject("aphelion." + key, "aphelion." + key + " " + message);
    }
}
