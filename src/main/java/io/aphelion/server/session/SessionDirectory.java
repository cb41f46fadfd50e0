package io.aphelion.server.session;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

import io.aphelion.wire.InitPacket;

/**
 * Where sessions live beyond this process: the seam between the {@link SessionRegistry} and a
 * cluster. On a single node ({@link #LOCAL}) every session is this process's, ids count up from 1
 * and nothing is told to anyone. In cluster mode the directory (in Redis) knows which node owns
 * each session, hands out ids unique in the cluster, and opens the way to the owner for a
 * connection whose session lives elsewhere ({@link #relay}).
 *
 * <p>Thread-safe. {@link #relay} and {@link #started} may block briefly (a round trip to the
 * directory) and are called on the connection's reading thread, outside any session lock; the
 * notifications ({@link #connected}, {@link #detached}, {@link #ended}) are called under the
 * session's lock and must not block.
 */
public interface SessionDirectory {

    /** A single node: sessions are this process's alone. */
    SessionDirectory LOCAL = new SessionDirectory() {

        private final AtomicLong ids = new AtomicLong();

        @Override
        public long nextId() {
            return ids.incrementAndGet();
        }
    };

    /**
     * Where init packets that need the directory are accepted (cluster mode: a pool, so that
     * reading threads never wait for Redis or another node); null on a single node.
     */
    default Executor initExecutor() {
        return null;
    }

    /** An id for a new session, unique among the sessions of every node that shares this directory. */
    long nextId();

    /**
     * A connection's init packet names a token this process does not hold. When another node owns
     * that session: if it has no connection there, it moves here ({@link Moved}); else a relay to
     * the owner is opened, {@code init} sent first ({@link Relayed}). Null when no live node owns
     * it: the client gets a new session here. Also asked for a connection another node relayed
     * here ({@link ClientConnection#relayedIn()}), which is never relayed on.
     *
     * @throws io.aphelion.wire.ProtocolViolationException with
     *         {@link io.aphelion.wire.CloseCodes#CLUSTER_UNAVAILABLE} when the directory cannot be asked
     */
    default Located locate(InitPacket init, ClientConnection connection) {
        return null;
    }

    /** Where {@link #locate} found a session. */
    sealed interface Located permits Moved, Relayed {
    }

    /** The session moved here from its owner, which had no connection of it left; it is in the registry now. */
    record Moved(PlayerSession session) implements Located {
    }

    /** The session lives on at its owner, which this relay leads to. */
    record Relayed(Relay relay) implements Located {
    }

    /** A session moved here ({@link Moved}, or one whose move finished late) is now in the registry. */
    default void arrived(PlayerSession session) {
    }

    /**
     * A session was created here and is about to answer its first connection: once this returns,
     * every node finds it.
     *
     * @throws io.aphelion.wire.ProtocolViolationException with
     *         {@link io.aphelion.wire.CloseCodes#CLUSTER_UNAVAILABLE} when it cannot be recorded
     */
    default void started(PlayerSession session) {
    }

    /** The session holds a connection again (after it had none). Under the session's lock; must not block. */
    default void connected(PlayerSession session) {
    }

    /** The session lost its last connection and waits to be resumed. Under the session's lock; must not block. */
    default void detached(PlayerSession session) {
    }

    /** The session ended: its token resumes it nowhere any more. Under the session's lock; must not block. */
    default void ended(PlayerSession session) {
    }

    /** A session's attribute was set ({@code value} null: removed), to be kept with the session. Must not block. */
    default void attributeChanged(PlayerSession session, String name, String value) {
    }

    /** Live sessions of a protocol on the other nodes (all of them, or those with a connection). */
    default int otherNodesSessions(int protocol, boolean connectedOnly) {
        return 0;
    }
}
