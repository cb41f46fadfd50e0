package io.aphelion.server.protocol.game;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;

import io.aphelion.server.session.SessionEndReason;

/**
 * A game over protocol 2 with its own protobuf messages: the game's {@code C2S} (what clients send)
 * and {@code S2C} (what the server sends), compiled from the game's own {@code .proto} by its own
 * build. Declare one bean of this type and it replaces the default lobby; the server parses each
 * payload with {@link #c2sParser()} (a payload that is not a valid message closes the connection
 * with 1007) and hands it to {@link #onMessage}, and the {@link GameSession} sends the game's
 * {@code S2C}. {@link GameMessageService} is this interface over the built-in {@code game.proto}.
 *
 * <p>Versions stay the server's ({@code aphelion.protocols.game.min-version}/{@code max-version}):
 * {@link GameSession#protocolVersion()} tells which one a session speaks, so a service can keep
 * speaking an old client's dialect.
 *
 * <p>Threads: calls for one session come one at a time, in order (started, then connections and
 * messages as they happened, then ended, each exactly once; in cluster mode, a session that moves
 * between nodes departs from one and arrives at the other instead of ending and starting), on a pool of
 * {@code aphelion.game.threads} threads, never on a websocket container thread (unless
 * {@link #mayBlock()} says the service never blocks). Calls for different sessions run in
 * parallel: shared state must be thread-safe. A slow call delays only its own session; acks do
 * not wait for it. An exception is logged and the session goes on; to close the session, call
 * {@link GameSession#close(String)}.
 *
 * @param <C> the game's client-to-server message
 * @param <S> the game's server-to-client message
 */
public interface GameService<C extends MessageLite, S extends MessageLite> {

    /** The parser of the game's client-to-server message, e.g. {@code MyC2S.parser()}. */
    Parser<C> c2sParser();

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

    /** A message arrived (one packet's payload, parsed with {@link #c2sParser()}). */
    void onMessage(GameSession<S> session, C message);

    /** A new session started (its first connection is announced next, by {@link #connectionAdded}). */
    default void sessionStarted(GameSession<S> session) {
    }

    /** A connection joined the session (the first, another one, or the one that resumed it). */
    default void connectionAdded(GameSession<S> session) {
    }

    /**
     * A connection was lost. When it was the last one, the session waits
     * {@code aphelion.session.expiry} for a connection to resume it (unless its client left with
     * 1000: then {@link #sessionEnded} with {@link SessionEndReason#CLOSED_BY_CLIENT} follows).
     *
     * @param closeCode the websocket close code sent or received
     */
    default void connectionLost(GameSession<S> session, int closeCode) {
    }

    /** A connection resumed the session after it had lost all of them (then {@link #connectionAdded}). */
    default void sessionResumed(GameSession<S> session) {
    }

    /** The session ended; the last call for it. Free what it held (a nickname, a seat). */
    default void sessionEnded(GameSession<S> session, SessionEndReason reason) {
    }

    /**
     * Cluster mode: a session moved here from another node of the cluster (its client dropped
     * there and came back here), in place of {@link #sessionStarted}; {@link #sessionResumed} and
     * {@link #connectionAdded} follow. Its {@link GameSession#attribute attributes} came with it,
     * its {@link GameSession#attachment() attachment} did not: restore what this node keeps for it
     * from them.
     */
    default void sessionArrived(GameSession<S> session) {
    }

    /**
     * Cluster mode: a session without connections left this node for another one, where it goes
     * on (and where {@link #sessionArrived} is called). The last call for it on this node, in
     * place of {@link #sessionEnded}: drop what this node keeps for it, but do not free what the
     * session still holds in the cluster (its nickname, its seat).
     */
    default void sessionDeparted(GameSession<S> session) {
    }
}
