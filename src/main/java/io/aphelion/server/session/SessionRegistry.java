package io.aphelion.server.session;

import java.util.concurrent.Executor;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

import io.aphelion.server.session.TransportMetrics;
import io.aphelion.server.support.Scheduler;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.ProtocolViolationException;
import io.aphelion.wire.SessionToken;

/**
 * Every live session, by token and by id; creates sessions and attaches connections to them.
 *
 * <p>Tokens are 32 bytes of {@link SecureRandom} (drawn in blocks, see {@link TokenSource}), unique among live sessions, and scoped to their
 * protocol: a token of another protocol's session, an unknown token and an ended session's token
 * all get the client a new session. An ended session is removed at once, so nothing leaks.
 *
 * <p>Thread-safe: concurrent maps; each session guards itself.
 */
public final class SessionRegistry {

    private final Scheduler scheduler;
    private final TransportSettings settings;
    private final TransportMetrics metrics;
    /** Where new sessions' tokens come from: one {@link SecureRandom}, drawn in blocks. */
    private final TokenSource tokens = new TokenSource(new SecureRandom());
    /** Where sessions live beyond this process: ids, owners, relays ({@link SessionDirectory#LOCAL} on a single node). */
    private final SessionDirectory directory;
    private final ConcurrentHashMap<SessionToken, PlayerSession> byToken = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, PlayerSession> byId = new ConcurrentHashMap<>();
    /** Live sessions by protocol id (index 0 counts any other id). */
    private final AtomicInteger[] live = counters();
    /** Live sessions with at least one connection, by protocol id. */
    private final AtomicInteger[] connected = counters();
    private final Book book = new Book();
    /** Each protocol's listener, as connections name them: for sessions that move here from another node. */
    private final ConcurrentHashMap<Integer, SessionListener<?>> listeners = new ConcurrentHashMap<>();

    public SessionRegistry(Scheduler scheduler, TransportSettings settings, TransportMetrics metrics) {
        this(scheduler, settings, metrics, SessionDirectory.LOCAL);
    }

    /** @param directory where sessions live beyond this process (a cluster's), or {@link SessionDirectory#LOCAL} */
    public SessionRegistry(Scheduler scheduler, TransportSettings settings, TransportMetrics metrics, SessionDirectory directory) {
        this.scheduler = scheduler;
        this.settings = settings;
        this.metrics = metrics;
        this.directory = directory;
    }

    /**
     * Attaches a connection to the session its token names, or to a new session.
     *
     * @param protocol the protocol of the connection (already checked)
     * @param version the requested version (already checked)
     * @param token the token from the init packet, or null
     * @throws ProtocolViolationException {@link CloseCodes#SESSION_FULL} when the named session is full
     */
    public PlayerSession attach(int protocol, int version, SessionToken token, SessionListener<?> listener,
            ClientConnection connection) {
        return attach(new InitPacket(protocol, version, token), version, listener, connection);
    }

    /**
     * Attaches a connection to the session its init packet's token names: here, or (cluster mode)
     * through a relay to the node that owns it; or to a new session here.
     *
     * @param init the init packet (already checked)
     * @param version the version the session speaks (the requested one, or the newest for a bypass)
     * @return the session, or null when the connection was relayed to the node that owns it
     * @throws ProtocolViolationException {@link CloseCodes#SESSION_FULL} when the named session is
     *         full, {@link CloseCodes#CLUSTER_UNAVAILABLE} when the cluster's directory cannot be reached
     */
    public PlayerSession attach(InitPacket init, int version, SessionListener<?> listener, ClientConnection connection) {
        int protocol = init.protocol();
        SessionToken token = init.token();
        if (token != null) {
            PlayerSession existing = byToken.get(token);
            if (existing == null) {
                // Not here: maybe another node's (cluster mode), which the directory tells.
                SessionDirectory.Located found = directory.locate(init, connection);
                if (found instanceof SessionDirectory.Relayed relayed) {
                    connection.relayTo(relayed.relay());
                    return null;
                }
                existing = found instanceof SessionDirectory.Moved moved ? moved.session() : null;
            }
            if (existing != null && existing.protocol() == protocol && joined(existing, connection)) {
                return existing;
            }
        }
        PlayerSession created;
        do {
            created = new PlayerSession(directory.nextId(), tokens.next(), protocol, version, listener,
                    scheduler, settings, metrics, book);
        }
        while (byToken.putIfAbsent(created.token(), created) != null);
        try {
            directory.started(created);
        }
        catch (RuntimeException ex) {
            byToken.remove(created.token(), created);
            throw ex;
        }
        byId.put(created.id(), created);
        counter(live, protocol).incrementAndGet();
        book.connected(created);
        created.attach(connection, true);
        return created;
    }

    /**
     * Where an init packet's attach must run when it may wait for the cluster's directory (a new
     * session, or a token this node does not hold); null when it runs at once (a single node, or a
     * token of a session here).
     */
    public Executor executorFor(InitPacket init) {
        Executor elsewhere = directory.initExecutor();
        if (elsewhere == null) {
            return null;
        }
        SessionToken token = init.token();
        return token != null && byToken.containsKey(token) ? null : elsewhere;
    }

    /** Registers the listener of a protocol served here, so that sessions of it can move here from other nodes. */
    public void serve(int protocol, SessionListener<?> listener) {
        listeners.put(protocol, listener);
    }

    /**
     * Cluster mode: takes in a session that moved here from another node, without a connection
     * (it waits for one until its expiry, as there). A move that finished after its client gave up
     * waiting comes here too, so the session is not lost.
     *
     * @return the session, or null when this node already holds one with its token or id
     */
    public PlayerSession arrive(SessionSnapshot snapshot) {
        SessionListener<?> listener = listeners.get(snapshot.protocol());
        if (listener == null) {
            throw new IllegalStateException("No protocol " + snapshot.protocol() + " served here for session " + snapshot.id());
        }
        return arrive(snapshot, listener);
    }

    private PlayerSession arrive(SessionSnapshot snapshot, SessionListener<?> listener) {
        PlayerSession arrived = PlayerSession.arrived(snapshot, listener, scheduler, settings, metrics, book);
        if (byToken.putIfAbsent(arrived.token(), arrived) != null || byId.putIfAbsent(arrived.id(), arrived) != null) {
            byToken.remove(arrived.token(), arrived);
            return null;
        }
        counter(live, arrived.protocol()).incrementAndGet();
        directory.arrived(arrived);
        return arrived;
    }

    /**
     * Cluster mode: the session with this token leaves for another node, if it has no connection
     * now ({@link PlayerSession#depart()}).
     *
     * @return its snapshot, or null when it is not here, has a connection, or ended
     */
    public SessionSnapshot depart(SessionToken token) {
        PlayerSession session = byToken.get(token);
        return session == null ? null : session.depart();
    }

    /**
     * Adds the connection to a session its token named.
     *
     * @return false when the session ended meanwhile (the client gets a new one)
     * @throws ProtocolViolationException {@link CloseCodes#SESSION_FULL} when it is full
     */
    private boolean joined(PlayerSession session, ClientConnection connection) {
        return switch (session.attach(connection, false)) {
            case FULL -> throw new ProtocolViolationException(CloseCodes.SESSION_FULL,
                    "Session already holds " + settings.maxConnections() + " connections");
            case ENDED -> false;
            default -> true;
        };
    }

    private static AtomicInteger[] counters() {
        return new AtomicInteger[] { new AtomicInteger(), new AtomicInteger(), new AtomicInteger() };
    }

    private static AtomicInteger counter(AtomicInteger[] counters, int protocol) {
        return counters[protocol > 0 && protocol < counters.length ? protocol : 0];
    }

    /** What sessions tell the registry of their state changes (under their own lock). */
    final class Book {

        void connected(PlayerSession session) {
            counter(connected, session.protocol()).incrementAndGet();
        }

        void resumed(PlayerSession session) {
            connected(session);
            directory.connected(session);
        }

        void detached(PlayerSession session) {
            counter(connected, session.protocol()).decrementAndGet();
            if (session.state() == PlayerSession.State.DETACHED) {
                directory.detached(session);
            }
        }

        void attributeChanged(PlayerSession session, String name, String value) {
            directory.attributeChanged(session, name, value);
        }

        /** The session left for another node: gone from here, but not ended. */
        void departed(PlayerSession session) {
            if (byToken.remove(session.token(), session)) {
                byId.remove(session.id());
                counter(live, session.protocol()).decrementAndGet();
            }
        }

        void ended(PlayerSession session) {
            if (byToken.remove(session.token(), session)) {
                byId.remove(session.id());
                counter(live, session.protocol()).decrementAndGet();
                directory.ended(session);
            }
        }
    }

    /** A live session by id. */
    public Optional<PlayerSession> find(long id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** Live sessions of a protocol (including those waiting to be resumed). */
    public int liveSessions(int protocol) {
        return counter(live, protocol).get();
    }

    /** Live sessions of a protocol in the cluster: this node's and (cluster mode) the other nodes' at their last heartbeats. */
    public int clusterSessions(int protocol) {
        return liveSessions(protocol) + directory.otherNodesSessions(protocol, false);
    }

    /** Live sessions of a protocol with a connection, in the cluster (as {@link #clusterSessions}). */
    public int clusterConnectedSessions(int protocol) {
        return connectedSessions(protocol) + directory.otherNodesSessions(protocol, true);
    }

    /** Live sessions of a protocol that hold at least one connection. */
    public int connectedSessions(int protocol) {
        return counter(connected, protocol).get();
    }

    /** All live sessions. */
    public int liveSessions() {
        return byId.size();
    }

    /** Calls {@code action} for every live session of a protocol (a weakly consistent view). */
    public void forEach(int protocol, Consumer<PlayerSession> action) {
        for (PlayerSession session : byId.values()) {
            if (session.protocol() == protocol && session.state() != PlayerSession.State.ENDED) {
                action.accept(session);
            }
        }
    }

    /** Every live session of this node (a weakly consistent view). */
    public Iterable<PlayerSession> all() {
        return byId.values();
    }

    /** Open connections across all sessions (walks every session: for scrapes, not hot paths). */
    public int openConnections() {
        return (int) sum(PlayerSession::connectionCount);
    }

    /** Messages held unsent or unacked across all sessions (walks every session). */
    public long bufferedMessages() {
        return sum(PlayerSession::bufferedMessages);
    }

    /** Payload bytes held unsent or unacked across all sessions (walks every session). */
    public long bufferedBytes() {
        return sum(PlayerSession::bufferedBytes);
    }

    private long sum(ToLongFunction<PlayerSession> value) {
        long total = 0;
        for (PlayerSession session : byId.values()) {
            total += value.applyAsLong(session);
        }
        return total;
    }

    /** Ends every session with this reason (shutdown); returns how many were ended. */
    public int closeAll(SessionEndReason reason, String description) {
        List<PlayerSession> sessions = new ArrayList<>(byId.values());
        for (PlayerSession session : sessions) {
            session.close(reason, description);
        }
        return sessions.size();
    }
}
