/**
 * The websocket edge. Both engines hand every websocket's events to one decorated Spring handler:
 * admission ({@link io.aphelion.server.transport.AdmissionWebSocketHandlerDecorator} over
 * {@link io.aphelion.server.transport.OpenWebSockets}, refused during shutdown), then the thin
 * {@link io.aphelion.server.transport.AphelionWebSocketHandler}, the one place that turns them into
 * {@link io.aphelion.server.session.ClientConnection} calls. The native engine gets there through
 * {@link io.aphelion.server.transport.NativeWebSocketSession}, Spring's session over its own RFC 6455
 * connection ({@link io.aphelion.server.transport.JettyWebSocket}, on Jetty's socket after
 * {@link io.aphelion.server.transport.AphelionUpgradeHandler} answered the upgrade); the servlet
 * engine through Spring's own session. Each engine has its
 * {@link io.aphelion.server.session.FrameSink} that writes to the socket. The rest of the edge is
 * written once and both engines call it: the allowed origins
 * ({@link io.aphelion.server.transport.AllowedOrigins}) and the client address from trusted proxies
 * ({@link io.aphelion.server.transport.TrustedProxies}).
 */
package io.aphelion.server.transport;
