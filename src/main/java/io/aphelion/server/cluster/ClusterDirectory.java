package io.aphelion.server.cluster;

import java.security.MessageDigest;
import java.time.Duration;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionDirectory;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.SessionSnapshot;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.ProtocolViolationException;
import io.aphelion.wire.SessionToken;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.core.script.RedisScript;

/**
 * The cluster's session directory, in Redis: which node owns each session, under an epoch that
 * every owner's write is checked against (fencing: a node that is no longer the owner changes
 * nothing). A session is owned by the node that created it. A connection that lands on another
 * node is relayed to the owner ({@link RelayLinks}), which runs it as one of its own; but when
 * the session has no connection at its owner (its client dropped and came back elsewhere), it
 * moves to the node the client came back to instead ({@link #handOver}: the owner departs it, the
 * directory names the new owner under the next epoch, the snapshot travels over pub/sub).
 *
 * <p>Keys: {@code <prefix>session:<h>}, a hash (owner, epoch, id, protocol, version, state,
 * {@code attr:<name>} attributes), where {@code h} is a SHA-256 digest of the token (Redis never
 * holds a token itself); {@code <prefix>session-id:<id>} to {@code h}; {@code <prefix>session-ids},
 * the counter ids are drawn from in blocks of {@value #ID_BLOCK}, never below the current time in
 * milliseconds times 1000 (so ids are 16 digits, within a JavaScript number's exact range).
 *
 * <p>When Redis comes back after an outage, the owner writes its sessions' entries again
 * ({@link #reclaim}): a Redis that restarted empty learns them anew, and their tokens resume them
 * from any node again.
 *
 * <p>What waits for Redis: the look-up of a token this node does not hold, and the record of a new
 * session, both on the connection's reading thread before the init reply (a client that has its
 * token can use it on any node at once). Everything else (state changes, attributes, the end) is
 * written behind, in order, on the cluster's thread. Thread-safe.
 */
final class ClusterDirectory implements SessionDirectory {

    private static final Logger log = LoggerFactory.getLogger(ClusterDirectory.class);

    /** Ids drawn from Redis at a time. */
    static final int ID_BLOCK = 1000;

    /** The epoch a session's first owner holds; a node that takes a session over holds a higher one. */
    static final String FIRST_EPOCH = "1";

    /**
     * Draws a block of ids: KEYS: the counter; ARGV: block size, a floor (now in ms x 1000). The
     * counter never starts a block below the floor, so ids stay unique in the cluster even after
     * Redis lost the counter (a restart without persistence): every id handed out before was
     * below the floor of its own time, and the floor grows by 1,000,000 a second, far faster than
     * ids are used.
     */
    private static final RedisScript<Long> ID_BLOCK_SCRIPT = RedisScript.of("""
            local last = redis.call('INCRBY', KEYS[1], ARGV[1])
            local floor = tonumber(ARGV[2])
            if last - tonumber(ARGV[1]) < floor then
              last = floor + tonumber(ARGV[1])
              redis.call('SET', KEYS[1], last)
            end
            return last
            """, Long.class);

    /**
     * Writes a session's entry unless another node owns it: a new session's (its first), or one
     * this node owns written again after Redis was out of reach. KEYS: its hash, its id key; ARGV:
     * owner, epoch, id, protocol, version, h, state.
     */
    private static final RedisScript<Long> WRITE_ENTRY = RedisScript.of("""
            local owner = redis.call('HGET', KEYS[1], 'owner')
            if owner and owner ~= ARGV[1] then return 0 end
            redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'epoch', ARGV[2], 'id', ARGV[3], 'protocol', ARGV[4],
                'version', ARGV[5], 'state', ARGV[7])
            redis.call('SET', KEYS[2], ARGV[6])
            return 1
            """, Long.class);

    /** Sets (ARGV[4] = '1') or deletes a field if the caller still owns the session. KEYS: its hash; ARGV: owner, epoch, field, set?, value. */
    private static final RedisScript<Long> FENCED_SET = RedisScript.of("""
            local f = redis.call('HMGET', KEYS[1], 'owner', 'epoch')
            if f[1] ~= ARGV[1] or f[2] ~= ARGV[2] then return 0 end
            if ARGV[4] == '1' then redis.call('HSET', KEYS[1], ARGV[3], ARGV[5]) else redis.call('HDEL', KEYS[1], ARGV[3]) end
            return 1
            """, Long.class);

    /** Hands a session to ARGV[3] if ARGV[1] owns it at epoch ARGV[2]; returns the new epoch, or 0. KEYS: its hash. */
    private static final RedisScript<Long> MOVE = RedisScript.of("""
            local f = redis.call('HMGET', KEYS[1], 'owner', 'epoch')
            if f[1] ~= ARGV[1] or f[2] ~= ARGV[2] then return 0 end
            local epoch = tonumber(f[2]) + 1
            redis.call('HSET', KEYS[1], 'owner', ARGV[3], 'epoch', epoch, 'state', 'detached')
            return epoch
            """, Long.class);

    /** Removes a session's keys if it is still owned by ARGV[1] (at epoch ARGV[2], unless ''). KEYS: its hash, its id key. */
    private static final RedisScript<Long> RELEASE = RedisScript.of("""
            local f = redis.call('HMGET', KEYS[1], 'owner', 'epoch')
            if f[1] ~= ARGV[1] or (ARGV[2] ~= '' and f[2] ~= ARGV[2]) then return 0 end
            redis.call('DEL', KEYS[1], KEYS[2])
            return 1
            """, Long.class);

    private final ClusterRedis redis;
    private final ClusterNodes nodes;
    private final RelayLinks relays;
    /** The cluster's thread: writes behind, in order. */
    private final Executor writer;
    private final Counter ownershipChanges;
    private final MessageDigest sha256;
    private final Duration moveTimeout;
    private final Executor initPool;
    /** The tokens of the sessions this node owns, by their key part (for a move, asked for by key). */
    private final ConcurrentHashMap<String, SessionToken> owned = new ConcurrentHashMap<>();
    /** Epochs of the sessions this node took over (the ones it created are at {@link #FIRST_EPOCH}). */
    private final ConcurrentHashMap<Long, String> epochs = new ConcurrentHashMap<>();
    private volatile SessionRegistry registry;
    private volatile ClusterMessages messages;
    private long nextId;
    private long idsLeft;

    /**
     * @param initPool where init packets that need the directory are accepted: never the reading
     *        threads, which read other sockets too
     */
    ClusterDirectory(ClusterRedis redis, ClusterNodes nodes, RelayLinks relays, Executor writer, Executor initPool,
            Duration moveTimeout, MeterRegistry meters) {
        this.initPool = initPool;
        this.moveTimeout = moveTimeout;
        this.redis = redis;
        this.nodes = nodes;
        this.relays = relays;
        this.writer = writer;
        this.ownershipChanges = Counter.builder("aphelion.cluster.ownership.changes")
                .description("Sessions whose owner changed: moved to the node their client came back to, or a gone node's released")
                .register(meters);
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("SHA-256 is not available", ex);
        }
    }

    @Override
    public Executor initExecutor() {
        return initPool;
    }

    @Override
    public synchronized long nextId() {
        if (idsLeft == 0) {
            requireReachable();
            Long last = unavailableAs4105(() -> redis.script("session-ids", ID_BLOCK_SCRIPT, List.of(redis.key("session-ids")),
                    String.valueOf(ID_BLOCK), String.valueOf(System.currentTimeMillis() * 1000)));
            nextId = last - ID_BLOCK + 1;
            idsLeft = ID_BLOCK;
        }
        idsLeft--;
        return nextId++;
    }

    @Override
    public Located locate(InitPacket init, ClientConnection connection) {
        if (connection.relayedIn()) {
            // Relayed here by a node whose directory named this one, but the session is not (or no
            // longer, or not yet) here: it is moving. The client tries again, rather than getting a
            // new session; and a relayed connection is never relayed on.
            throw new ProtocolViolationException(CloseCodes.CLUSTER_UNAVAILABLE, "The session is moving between nodes: try again");
        }
        requireReachable();
        String h = digest(init.token());
        List<String> entry = entry(h);
        for (int tries = 0; nodes.id().equals(entry.get(0)) && owned.containsKey(h) && tries < 40; tries++) {
            // This node is handing the session over right now: its new owner is about to be written.
            sleep(25);
            entry = entry(h);
        }
        String owner = entry.get(0);
        if (nodes.id().equals(owner) && String.valueOf(init.protocol()).equals(entry.get(1))) {
            // The directory names this node, but the session is not in the registry: its hand-over
            // to here is on its way (the registry did not have it a moment ago). Not a new session.
            throw new ProtocolViolationException(CloseCodes.CLUSTER_UNAVAILABLE, "The session is moving here: try again");
        }
        if (owner == null || !String.valueOf(init.protocol()).equals(entry.get(1))) {
            return null; // unknown, ended, or of another protocol: a new session, as on one node
        }
        ClusterNodes.Peer peer = unavailableAs4105(() -> nodes.peer(owner));
        if (peer == null) {
            // Its owner is gone (no heartbeat for node-timeout): so is the session.
            writer.execute(() -> release(h, owner, ""));
            return null;
        }
        if ("detached".equals(entry.get(2)) && messages != null) {
            // Nobody is connected to it there: it comes here, and the client is served without a relay.
            PlayerSession moved = unavailableAs4105(() -> messages.requestMove(owner, h, moveTimeout));
            if (moved != null) {
                return new Moved(moved);
            }
        }
        return new Relayed(relays.open(peer, init, connection));
    }

    private List<String> entry(String h) {
        return unavailableAs4105(() -> redis.fields("lookup", redis.key("session:" + h), "owner", "protocol", "state"));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The owner's side of a move: hands the session over to {@code requester} if it has no
     * connection here (it departs, the directory names the new owner under the next epoch).
     *
     * @return the snapshot and the new epoch, or null when it stays (a connection, ended, not ours)
     */
    Handover handOver(String h, String requester) {
        SessionToken token = owned.get(h);
        if (token == null || registry == null) {
            return null;
        }
        SessionSnapshot snapshot = registry.depart(token);
        if (snapshot == null) {
            return null;
        }
        Long epoch;
        try {
            epoch = redis.script("move", MOVE, List.of(redis.key("session:" + h)), nodes.id(), epochOf(snapshot.id()), requester);
        }
        catch (ClusterUnavailableException ex) {
            log.warn("Session {} could not be handed over, it stays: {}", snapshot.id(), ex.getMessage());
            epoch = null;
        }
        if (epoch == null || epoch == 0) {
            // Not recorded: the session stays here, as it was (it waits for its client again).
            if (registry.arrive(snapshot) == null) {
                log.warn("Session {} could not be handed over nor taken back", snapshot.id());
            }
            return null;
        }
        owned.remove(h);
        epochs.remove(snapshot.id());
        ownershipChanges.increment();
        log.debug("Session {} moved to node {}", snapshot.id(), requester);
        return new Handover(snapshot, String.valueOf(epoch));
    }

    /**
     * Gives a session back to this node's registry after its hand-over was recorded but could not
     * be announced (the new owner never heard of it): the directory is set back to this node.
     */
    void takeBack(Handover handover, String to) {
        SessionSnapshot snapshot = handover.snapshot();
        String h = digest(snapshot.token());
        try {
            Long epoch = redis.script("move", MOVE, List.of(redis.key("session:" + h)), to, handover.epoch(), nodes.id());
            if (epoch != null && epoch != 0) {
                tookOver(snapshot, String.valueOf(epoch));
                registry.arrive(snapshot);
                return;
            }
        }
        catch (ClusterUnavailableException ex) {
            // lost below
        }
        log.warn("Session {} was handed over to node {} but never reached it, and could not be taken back", snapshot.id(), to);
    }

    /** A session handed over: what the new owner needs, and the epoch it owns it under. */
    record Handover(SessionSnapshot snapshot, String epoch) {
    }

    /** The new owner's side: a session handed over to this node, under this epoch (before it is in the registry). */
    void tookOver(SessionSnapshot snapshot, String epoch) {
        owned.put(digest(snapshot.token()), snapshot.token());
        epochs.put(snapshot.id(), epoch);
    }

    @Override
    public void arrived(PlayerSession session) {
        ownershipChanges.increment();
    }

    /** The epoch under which this node owns a session. */
    private String epochOf(long id) {
        return epochs.getOrDefault(id, FIRST_EPOCH);
    }

    void bind(SessionRegistry registry, ClusterMessages messages) {
        this.registry = registry;
        this.messages = messages;
    }

    @Override
    public void started(PlayerSession session) {
        requireReachable();
        String h = digest(session.token());
        Long claimed = unavailableAs4105(() -> writeEntry("claim", session, h, FIRST_EPOCH, "live"));
        if (claimed == null || claimed != 1) {
            throw new ProtocolViolationException(CloseCodes.CLUSTER_UNAVAILABLE, "Session token already in the directory");
        }
        owned.put(h, session.token());
    }

    @Override
    public void connected(PlayerSession session) {
        setBehind(session, "state", "live");
    }

    @Override
    public void detached(PlayerSession session) {
        setBehind(session, "state", "detached");
    }

    @Override
    public void ended(PlayerSession session) {
        String h = digest(session.token());
        long id = session.id();
        String epoch = epochOf(id);
        owned.remove(h);
        epochs.remove(id);
        writer.execute(() -> {
            try {
                redis.script("release", RELEASE, List.of(redis.key("session:" + h), redis.key("session-id:" + id)),
                        nodes.id(), epoch);
            }
            catch (ClusterUnavailableException ex) {
                log.warn("Session {} ended, but its directory entry could not be removed: {}", id, ex.getMessage());
            }
        });
    }

    @Override
    public void attributeChanged(PlayerSession session, String name, String value) {
        setBehind(session, "attr:" + name, value);
    }

    @Override
    public int otherNodesSessions(int protocol, boolean connectedOnly) {
        return nodes.otherNodesSessions(protocol, connectedOnly);
    }

    private void setBehind(PlayerSession session, String field, String value) {
        String h = digest(session.token());
        String epoch = epochOf(session.id());
        writer.execute(() -> {
            try {
                Long done = redis.script("fenced-set", FENCED_SET, List.of(redis.key("session:" + h)), nodes.id(), epoch,
                        field, value == null ? "0" : "1", value == null ? "" : value);
                if (done == null || done != 1) {
                    log.debug("Session {}: {} not written, this node no longer owns it", session.id(), field);
                }
            }
            catch (ClusterUnavailableException ex) {
                log.warn("Session {}: {} could not be written to the directory: {}", session.id(), field, ex.getMessage());
            }
        });
    }

    /**
     * Writes the entries of every session this node owns again (after Redis was out of reach: it
     * may have restarted empty). Runs on the cluster's thread.
     */
    void reclaim(Iterable<PlayerSession> owned) {
        try {
            reclaimAll(owned);
        }
        catch (ClusterUnavailableException ex) {
            log.warn("Writing this node's sessions' entries again stopped: {} (the next recovery writes them all)", ex.getMessage());
        }
    }

    private Long writeEntry(String operation, PlayerSession session, String h, String epoch, String state) {
        return redis.script(operation, WRITE_ENTRY, List.of(redis.key("session:" + h), redis.key("session-id:" + session.id())),
                nodes.id(), epoch, String.valueOf(session.id()), String.valueOf(session.protocol()),
                String.valueOf(session.version()), h, state);
    }

    private int reclaimAll(Iterable<PlayerSession> owned) {
        int count = 0;
        for (PlayerSession session : owned) {
            if (session.state() == PlayerSession.State.ENDED) {
                continue;
            }
            String h = digest(session.token());
            String epoch = epochOf(session.id());
            writeEntry("reclaim", session, h, epoch, session.state() == PlayerSession.State.DETACHED ? "detached" : "live");
            for (var attribute : session.attributes().entrySet()) {
                redis.script("fenced-set", FENCED_SET, List.of(redis.key("session:" + h)), nodes.id(), epoch,
                        "attr:" + attribute.getKey(), "1", attribute.getValue());
            }
            count++;
        }
        log.info("Wrote the directory entries of {} session(s) this node owns again", count);
        return count;
    }

    /** Drops the entry of a session whose owner is gone (fenced: only if that node still owns it). */
    private void release(String h, String owner, String epoch) {
        try {
            String id = redis.field("lookup-id", redis.key("session:" + h), "id");
            if (id == null) {
                return;
            }
            Long done = redis.script("release", RELEASE, List.of(redis.key("session:" + h), redis.key("session-id:" + id)), owner, epoch);
            if (done != null && done == 1) {
                ownershipChanges.increment();
                log.info("Session {} of gone node {} released", id, owner);
            }
        }
        catch (ClusterUnavailableException ex) {
            log.warn("A gone node's session could not be released: {}", ex.getMessage());
        }
    }

    /** The session's key part: a digest of its token, so Redis never holds tokens. */
    String digest(SessionToken token) {
        MessageDigest digest;
        try {
            digest = (MessageDigest) sha256.clone();
        }
        catch (CloneNotSupportedException ex) {
            throw new IllegalStateException(ex);
        }
        return HexFormat.of().formatHex(digest.digest(token.toBytes()), 0, 16);
    }

    /**
     * While the heartbeat finds Redis out of reach, an init packet that needs the directory is
     * answered with 4105 at once, instead of waiting for Redis's timeout on the reading thread.
     */
    private void requireReachable() {
        if (!nodes.reachable()) {
            throw new ProtocolViolationException(CloseCodes.CLUSTER_UNAVAILABLE, "Cluster unavailable: Redis is out of reach");
        }
    }

    /** Runs a directory step the client waits for: a Redis failure closes its connection with 4105. */
    private static <T> T unavailableAs4105(java.util.function.Supplier<T> step) {
        try {
            return step.get();
        }
        catch (ClusterUnavailableException ex) {
            throw new ProtocolViolationException(CloseCodes.CLUSTER_UNAVAILABLE, "Cluster unavailable: " + ex.getMessage());
        }
    }
}
