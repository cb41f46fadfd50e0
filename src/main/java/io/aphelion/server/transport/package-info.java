/**
 * The websocket edge: the thin {@link io.aphelion.server.transport.AphelionWebSocketHandler}
 * (servlet engine) or {@link io.aphelion.server.transport.JettyWebSocket} (native engine: RFC 6455
 * spoken on Jetty's socket after {@link io.aphelion.server.transport.AphelionUpgradeHandler}
 * answered the upgrade) that turns socket events into {@link io.aphelion.server.session.ClientConnection}
 * calls, and the {@link io.aphelion.server.session.FrameSink} that writes to the socket; in front
 * of the handler, admission ({@link io.aphelion.server.transport.OpenWebSockets}, refused during
 * shutdown) and the client address from trusted proxies
 * ({@link io.aphelion.server.transport.TrustedProxies}).
 */
package io.aphelion.server.transport;
