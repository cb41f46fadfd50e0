/**
 * The websocket edge: the thin {@link io.aphelion.server.transport.AphelionWebSocketHandler}
 * (servlet engine) or {@link io.aphelion.server.transport.NativeWebSocketEndpoint} (native engine,
 * upgraded by {@link io.aphelion.server.transport.NativeWebSocketCreator}) that turns container
 * callbacks into {@link io.aphelion.server.session.Connection} calls, and
 * the {@link io.aphelion.server.transport.FrameSink} that writes to a container's socket; in front
 * of the handler, admission ({@link io.aphelion.server.transport.OpenWebSockets}, refused during
 * shutdown) and the client address from trusted proxies
 * ({@link io.aphelion.server.transport.TrustedProxies}).
 */
package io.aphelion.server.transport;
