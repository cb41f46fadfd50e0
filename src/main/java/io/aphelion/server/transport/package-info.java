/**
 * The websocket edge, written once for both engines. Every websocket's events go through one
 * decorated Spring handler: admission ({@link io.aphelion.server.transport.AdmissionWebSocketHandlerDecorator}
 * over {@link io.aphelion.server.transport.OpenWebSockets}, refused during shutdown), the
 * application's decorators, then the thin {@link io.aphelion.server.transport.AphelionWebSocketHandler},
 * the one place that turns them into {@link io.aphelion.server.session.ClientConnection} calls.
 * Also here: the allowed origins ({@link io.aphelion.server.transport.AllowedOrigins}), the client
 * address from trusted proxies ({@link io.aphelion.server.transport.TrustedProxies}), the one write
 * loop both engines' sinks run ({@link io.aphelion.server.transport.WritePump}), and the socket-level
 * guards on every connector (request header deadline, early end of stream, TCP_NODELAY).
 *
 * <p>The engines live below it and depend on it, never the other way round:
 * {@code nativeengine} (the default: the server's own upgrade and RFC 6455 on Jetty's socket) and
 * {@code servletengine} (Spring's websocket support through the servlet container). The RFC 6455
 * codec, with no Jetty in it, is {@code rfc6455}.
 */
package io.aphelion.server.transport;
