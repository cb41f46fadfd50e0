package io.aphelion.server.session;

import java.nio.ByteBuffer;

/**
 * What a protocol does with a session: its lifecycle and its messages ({@code M}, decoded from
 * payloads). One per protocol;
 * {@link PlayerSession}s call it. Lifecycle calls for one session come in order and exactly once each:
 * started, then any of connection added / connection lost / resumed, then ended.
 *
 * <p>{@link #decode} and {@link #onMessage} are called on the container thread with no lock held.
 * The lifecycle methods are called with the session's lock held (that is what keeps them in
 * order), on whichever thread caused the event: they must only hand the event off (to an
 * executor), never block or call back into the session.
 */
public interface SessionListener<M> {

    /**
     * Decodes a payload of this protocol's {@code C2S}.
     *
     * @throws io.aphelion.wire.ProtocolViolationException with 1007 when it is not a valid message
     */
    M decode(ByteBuffer payload);

    /** A decoded message arrived on {@code connection}. */
    void onMessage(PlayerSession session, ClientConnection connection, M message);

    default void sessionStarted(PlayerSession session) {
    }

    default void connectionAdded(PlayerSession session, ClientConnection connection) {
    }

    default void connectionLost(PlayerSession session, ClientConnection connection, int closeCode) {
    }

    default void sessionResumed(PlayerSession session, ClientConnection connection) {
    }

    default void sessionEnded(PlayerSession session, SessionEndReason reason) {
    }

    /**
     * Cluster mode: a session without connections moved here from another node (a connection is
     * about to resume it). Comes instead of {@link #sessionStarted}; its attributes came with it.
     */
    default void sessionArrived(PlayerSession session) {
    }

    /**
     * Cluster mode: a session without connections left this node for another one, where it goes
     * on. The last call for it here, instead of {@link #sessionEnded}: free what this node holds
     * for it, but not what the session still owns (a nickname).
     */
    default void sessionDeparted(PlayerSession session) {
    }

    /**
     * Whether the protocol still has work of this session under way (a message being handled):
     * such a session does not move to another node now, so what that work sends is not lost.
     * Called under the session's lock; must not block.
     */
    default boolean busy(PlayerSession session) {
        return false;
    }
}
