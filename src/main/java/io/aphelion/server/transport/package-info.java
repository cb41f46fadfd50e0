/**
 * The websocket edge: the thin {@link io.aphelion.server.transport.AphelionWebSocketHandler}
 * that turns container callbacks into {@link io.aphelion.server.session.Connection} calls, and
 * the {@link io.aphelion.server.transport.FrameSink} that writes to a container's socket.
 */
package io.aphelion.server.transport;
