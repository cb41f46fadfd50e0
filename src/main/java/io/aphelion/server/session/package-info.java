/**
 * Player sessions, their connections, and delivery.
 *
 * <p>A {@link io.aphelion.server.session.Session} holds 1..max-connections
 * {@link io.aphelion.server.session.Connection}s of one protocol and outlives its last one by the
 * expiry. It routes each outgoing message to the connection with the fewest unacked packets,
 * re-sends reliable messages when a connection is lost, and bounds its send buffer. The
 * {@link io.aphelion.server.session.SessionRegistry} finds sessions by token and by id.
 *
 * <p>Locking: one {@link java.util.concurrent.locks.ReentrantLock} per session guards the session
 * and the delivery state of all its connections. No other lock is taken while holding it, and no
 * I/O waits under it (writes are asynchronous).
 */
package io.aphelion.server.session;
