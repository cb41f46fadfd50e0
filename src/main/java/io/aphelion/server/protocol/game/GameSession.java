package io.aphelion.server.protocol.game;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

import com.google.protobuf.MessageLite;

/**
 * The application's handle to one game session. Thread-safe: use it from any thread, keep it as
 * long as needed (after the session ended, sends return false).
 *
 * <p>A message sent must not serialize to zero bytes (a message with every field at its default):
 * the protocol reads a packet without payload as an ack, so the client would never see it. Such a
 * send throws {@link IllegalArgumentException}; give the message a field that is always written.
 *
 * @param <S> the game's server-to-client message ({@code game.proto}'s {@code S2C} for a
 *        {@link GameMessageService})
 */
public interface GameSession<S extends MessageLite> {

    /** A token-free id, unique in this process (in cluster mode: in the cluster): safe to log and to show. */
    long id();

    /**
     * Sends a reliable message: delivered at least once while the session lives, re-sent on
     * another connection if the one it went out on is lost before the client acked it.
     *
     * @return false when it was not queued (the session ended, or its send buffer overflowed
     *         and the session ended now)
     */
    boolean send(S message);

    /**
     * Sends a volatile message: at most once, never re-sent, and dropped first when the client
     * is slow (state that the next update supersedes).
     *
     * @return false when it was dropped
     */
    boolean sendVolatile(S message);

    /** Ends the session: its connections are closed with 1000 and this reason. */
    void close(String reason);

    /**
     * Ends the session only if it has no connection now (its client dropped and has not resumed
     * yet), decided atomically: a session whose client just came back is left alone.
     *
     * @return whether the session was ended by this call
     */
    boolean closeIfDetached(String reason);

    /** Whether the session lives (connected, or waiting to be resumed). */
    boolean isOpen();

    /** Open connections now (0 while waiting to be resumed). */
    int connectionCount();

    /** The client's address on its most recent connection (from X-Forwarded-For behind a trusted proxy). */
    InetSocketAddress remoteAddress();

    /** The protocol version the session speaks. */
    int protocolVersion();

    /** Smoothed round-trip time measured from the client's acks, once it has acked. */
    Optional<Duration> roundTripTime();

    /**
     * A named value kept with the session, or null. Unlike {@link #attachment()}, attributes are
     * strings and, in a cluster, live in the session directory too: they travel with the session
     * and other nodes see them ({@link GameSessions#broadcastWhere} selects sessions by one).
     */
    String attribute(String name);

    /** Sets a named value kept with the session; null removes it. Ignored once the session ended. */
    void attribute(String name, String value);

    /** The application's own value for this session (a player object); null until set. */
    Object attachment();

    /** Sets the application's own value for this session. */
    void attachment(Object value);
}
