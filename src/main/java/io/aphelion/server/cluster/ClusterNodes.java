package io.aphelion.server.cluster;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import io.aphelion.server.observability.ClusterHealth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.core.script.RedisScript;

/**
 * This node and the others, as Redis knows them: every node writes a heartbeat every
 * {@code heartbeat-interval} (its address and session counts, expiring after
 * {@code node-timeout}) and reads everyone else's in the same round trip. A node whose heartbeat
 * expired is gone: {@link #peer} no longer finds it. The counts make {@code players} and
 * {@code GameSessions.count()} cluster-wide, as fresh as the last heartbeat.
 *
 * <p>Keys: {@code <prefix>node:<id>} (a hash: address and counts, with a TTL) and
 * {@code <prefix>nodes} (the set of ids; a gone node's id is dropped by whoever notices).
 * Thread-safe: the heartbeat runs on the cluster's thread; {@link #peer} from any thread reads
 * the last heartbeat's view, and asks Redis only for a node it has not seen yet.
 */
final class ClusterNodes implements ClusterHealth {

    private static final Logger log = LoggerFactory.getLogger(ClusterNodes.class);

    /** Fields of a node's hash, in the order the heartbeat script returns them. */
    private static final String[] FIELDS = { "address", "game", "gameConnected", "ping", "pingConnected", "draining" };

    /**
     * Writes this node's heartbeat and returns every live node's fields, dropping the ids whose
     * hash expired from the set. KEYS: the set, this node's hash; ARGV: prefix, id, ttl ms, then
     * the fields' values.
     */
    private static final RedisScript<List> HEARTBEAT = RedisScript.of("""
            redis.call('HSET', KEYS[2], 'address', ARGV[4], 'game', ARGV[5], 'gameConnected', ARGV[6],
                'ping', ARGV[7], 'pingConnected', ARGV[8], 'draining', ARGV[9])
            redis.call('PEXPIRE', KEYS[2], ARGV[3])
            redis.call('SADD', KEYS[1], ARGV[2])
            local out = {}
            for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              local f = redis.call('HMGET', ARGV[1] .. 'node:' .. id, 'address', 'game', 'gameConnected', 'ping', 'pingConnected',
                'draining')
              if f[1] then
                table.insert(out, id)
                for i = 1, 6 do table.insert(out, f[i] or '0') end
              else
                redis.call('SREM', KEYS[1], id)
              end
            end
            return out
            """, List.class);

    /**
     * A live node: where it is reached, its session counts at its last heartbeat, and whether it
     * is stopping (handing its sessions over: it takes none).
     */
    record Peer(String id, String address, int gameSessions, int gameConnected, int pingSessions, int pingConnected,
            boolean draining) {
    }

    /** This node's local session counts, for its heartbeat. */
    interface Counts {
        int sessions(int protocol);

        int connected(int protocol);
    }

    private final ClusterRedis redis;
    private final String id;
    private final Duration heartbeatInterval;
    private final Duration nodeTimeout;
    private final ScheduledExecutorService thread;
    private volatile String address;
    private volatile Counts counts;
    /** Runs (on the cluster's thread) when a heartbeat reaches Redis again after one that did not. */
    private volatile Runnable onRecovered = () -> { };
    /** The other live nodes at the last heartbeat, by id. */
    private volatile Map<String, Peer> peers = Map.of();
    /** Whether the last heartbeat reached Redis. */
    private volatile boolean healthy;
    private volatile long lastHeartbeatMillis;
    /** This node is stopping: it hands its sessions over and takes none. */
    private volatile boolean draining;
    private ScheduledFuture<?> heartbeat;

    ClusterNodes(ClusterRedis redis, Duration heartbeatInterval, Duration nodeTimeout, ScheduledExecutorService thread) {
        this.redis = redis;
        this.id = newId();
        this.heartbeatInterval = heartbeatInterval;
        this.nodeTimeout = nodeTimeout;
        this.thread = thread;
    }

    /** A node id: 10 characters of base 32 from {@link SecureRandom}, new at each start of the process. */
    private static String newId() {
        SecureRandom random = new SecureRandom();
        StringBuilder id = new StringBuilder(10);
        for (int i = 0; i < 10; i++) {
            id.append("abcdefghijklmnopqrstuvwxyz234567".charAt(random.nextInt(32)));
        }
        return id.toString();
    }

    /** This node's id. */
    String id() {
        return id;
    }

    /** Where the other nodes reach this one, once known. */
    String address() {
        return address;
    }

    /**
     * Starts the heartbeat with this node's address: writes the first one now (so the node is
     * known before it serves anyone), then every {@code heartbeat-interval}.
     *
     * @throws ClusterUnavailableException when the first heartbeat fails: the node does not start
     *         without its cluster (a later failure only marks it unhealthy)
     */
    synchronized void start(String address, Counts counts, Runnable onRecovered) {
        this.address = address;
        this.counts = counts;
        this.onRecovered = onRecovered;
        beat();
        long every = heartbeatInterval.toMillis();
        heartbeat = thread.scheduleWithFixedDelay(this::beatQuietly, every, every, TimeUnit.MILLISECONDS);
        log.info("Cluster node {} at {} joined; {} other node(s) live", id, address, peers.size());
    }

    private void beatQuietly() {
        try {
            beat();
        }
        catch (RuntimeException ex) {
            if (healthy) {
                log.warn("Cluster heartbeat failed: {}", ex.getMessage());
            }
            healthy = false;
        }
    }

    private void beat() {
        Counts local = counts;
        List<?> result = redis.script("heartbeat", HEARTBEAT, List.of(redis.key("nodes"), redis.key("node:" + id)),
                redis.prefix(), id, String.valueOf(nodeTimeout.toMillis()), address,
                String.valueOf(local.sessions(2)), String.valueOf(local.connected(2)),
                String.valueOf(local.sessions(1)), String.valueOf(local.connected(1)), draining ? "1" : "0");
        Map<String, Peer> seen = new HashMap<>();
        for (int i = 0; i + FIELDS.length < result.size(); i += FIELDS.length + 1) { // id, then its fields
            String node = String.valueOf(result.get(i));
            if (!node.equals(id)) {
                seen.put(node, new Peer(node, String.valueOf(result.get(i + 1)), number(result.get(i + 2)),
                        number(result.get(i + 3)), number(result.get(i + 4)), number(result.get(i + 5)),
                        "1".equals(String.valueOf(result.get(i + 6)))));
            }
        }
        peers = Map.copyOf(seen);
        boolean recovered = !healthy && lastHeartbeatMillis != 0;
        if (!healthy) {
            log.info("Cluster heartbeat reaches Redis");
        }
        if (recovered) {
            onRecovered.run(); // before readiness says UP again
        }
        healthy = true;
        lastHeartbeatMillis = System.currentTimeMillis();
    }

    private static int number(Object value) {
        try {
            return Integer.parseInt(String.valueOf(value));
        }
        catch (NumberFormatException ex) {
            return 0;
        }
    }

    /**
     * A live node other than this one: from the last heartbeat, or (a node that joined since)
     * from Redis. Null when it is gone.
     *
     * @throws ClusterUnavailableException when Redis had to be asked and failed
     */
    Peer peer(String node) {
        Peer peer = peers.get(node);
        if (peer != null || node.equals(id)) {
            return peer;
        }
        String address = redis.field("node", redis.key("node:" + node), "address");
        return address == null ? null : new Peer(node, address, 0, 0, 0, 0, false);
    }

    /**
     * This node starts stopping: a heartbeat now tells the others (who then hand it no session),
     * and the other live nodes that take sessions are returned, as the heartbeat read them.
     *
     * @throws ClusterUnavailableException when Redis cannot be reached
     */
    synchronized List<Peer> drain() {
        draining = true;
        beat();
        return peers.values().stream().filter(peer -> !peer.draining()).toList();
    }

    /** Sessions of a protocol on the other nodes, at their last heartbeats. */
    int otherNodesSessions(int protocol, boolean connectedOnly) {
        int total = 0;
        for (Peer peer : peers.values()) {
            total += protocol == 2 ? (connectedOnly ? peer.gameConnected() : peer.gameSessions())
                    : protocol == 1 ? (connectedOnly ? peer.pingConnected() : peer.pingSessions()) : 0;
        }
        return total;
    }

    @Override
    public boolean reachable() {
        return healthy;
    }

    @Override
    public Map<String, Object> details() {
        Map<String, Object> details = new java.util.LinkedHashMap<>();
        details.put("node", id);
        details.put("address", address == null ? "" : address);
        details.put("redisReachable", healthy);
        details.put("otherNodes", peers.size());
        details.put("lastHeartbeat", lastHeartbeatMillis == 0 ? "never" : java.time.Instant.ofEpochMilli(lastHeartbeatMillis).toString());
        return details;
    }

    /** Stops the heartbeat and leaves the cluster: the node's key and id are removed. */
    synchronized void stop() {
        if (heartbeat != null) {
            heartbeat.cancel(false);
            heartbeat = null;
        }
        thread.shutdown();
        try {
            redis.call("leave", () -> {
                redis.strings().delete(redis.key("node:" + id));
                return redis.strings().opsForSet().remove(redis.key("nodes"), id);
            });
            log.info("Cluster node {} left", id);
        }
        catch (ClusterUnavailableException ex) {
            log.warn("Cluster node {} could not remove its heartbeat (it expires by itself): {}", id, ex.getMessage());
        }
    }
}
