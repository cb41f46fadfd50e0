package io.aphelion.server.protocol.game;

import io.aphelion.proto.game.C2S;
import io.aphelion.server.session.SessionEndReason;

/**
 * The application's game: receives every {@code C2S} message of protocol 2 and the life of each
 * game session. Declare a bean of this type to replace the default lobby; nothing else changes.
 *
 * <p>Threads: calls for one session come one at a time, in order (started, then connections and
 * messages as they happened, then ended, each exactly once), on a pool of
 * {@code aphelion.game.threads} threads, never on a websocket container thread (unless
 * {@link #mayBlock()} says the service never blocks). Calls for different sessions run in
 * parallel: shared state must be thread-safe. A slow call delays only its own session; acks do
 * not wait for it. An exception is logged and the session goes on; to close the session, call
 * {@link GameSession#close(String)}.
 */
public interface GameMessageService {

    /**
     * Whether this service's calls may block or take long: I/O, a database, sleeping, waiting on a
     * lock, or work that grows with the number of players (a broadcast to everyone). True by
     * default, and then every call runs on the game pool, so the threads that read the sockets
     * never wait for the game.
     *
     * <p>A service whose calls are short and never block may return false: a message is then
     * handled on the thread that read it (Jetty's selector thread with the native engine), with no
     * hand-off to the pool, so its answer (and the ack riding on it) leaves at once, as the ping
     * protocol's does. Calls for one session still come one at a time and in order: a message that
     * arrives while the session's previous call is still queued or running waits its turn on the
     * pool. A call that blocks anyway stalls every connection read by that thread.
     */
    default boolean mayBlock() {
        return true;
    }

    /**
     * A message arrived. One packet's {@code C2S} envelope may carry several messages in its
     * repeated fields.
     */
    void onMessage(GameSession session, C2S message);

    /** A new session started (its first connection is announced next, by {@link #connectionAdded}). */
    default void sessionStarted(GameSession session) {
    }

    /** A connection joined the session (the first, another one, or the one that resumed it). */
    default void connectionAdded(GameSession session) {
    }

    /**
     * A connection was lost. When it was the last one, the session waits
     * {@code aphelion.session.expiry} for a connection to resume it.
     *
     * @param closeCode the websocket close code sent or received
     */
    default void connectionLost(GameSession session, int closeCode) {
    }

    /** A connection resumed the session after it had lost all of them (then {@link #connectionAdded}). */
    default void sessionResumed(GameSession session) {
    }

    /** The session ended; the last call for it. Free what it held (a nickname, a seat). */
    default void sessionEnded(GameSession session, SessionEndReason reason) {
    }
}
