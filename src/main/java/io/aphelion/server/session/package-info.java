/**
 * Player sessions, their connections, and delivery.
 *
 * <p>A {@link io.aphelion.server.session.PlayerSession} holds 1..max-connections
 * {@link io.aphelion.server.session.ClientConnection}s of one protocol and outlives its last one by the
 * expiry. It routes each outgoing message to the connection with the fewest unacked packets,
 * re-sends reliable messages when a connection is lost, and bounds its send buffer. The
 * {@link io.aphelion.server.session.SessionRegistry} finds sessions by token and by id.
 *
 * <p>Timers shared by all connections rather than one per connection: the
 * {@link io.aphelion.server.session.Keepalive} wheel pings every open connection and closes it with
 * 4103, and the {@link io.aphelion.server.session.AckFlusher} sends the acks that waited.
 *
 * <p>The core owns its seams and depends on no edge: {@link io.aphelion.server.session.FrameSink}
 * is what a websocket engine implements to be written to, and
 * {@link io.aphelion.server.session.TransportMetrics} what the observability side implements to
 * hear the transport's events.
 *
 * <p>Locking: one {@link java.util.concurrent.locks.ReentrantLock} per session guards the session
 * and the delivery state of all its connections, and its acking decision. No I/O waits under it
 * (writes are asynchronous). What runs under it, and so takes other locks briefly: the protocol's
 * lifecycle calls (the game protocol hands them to the session's serial executor, whose queue is
 * lock-free, and from there to the game pool's queue), timers being armed or cancelled on the
 * {@link io.aphelion.server.support.Scheduler} (its own queue's lock), and the registry's
 * concurrent maps and counters when the session ends. None of those calls back into a session.
 */
package io.aphelion.server.session;
