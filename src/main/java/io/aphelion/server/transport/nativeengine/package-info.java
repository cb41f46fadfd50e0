/**
 * The native engine ({@code aphelion.websocket.engine=native}, the default). An
 * {@link io.aphelion.server.transport.nativeengine.AphelionUpgradeHandler} in front of the servlet
 * context answers the upgrade (most upgrades already from Jetty's HTTP/1.1 parser, through
 * {@link io.aphelion.server.transport.nativeengine.AphelionUpgradeConnectionFactory}) and turns the
 * socket into a {@link io.aphelion.server.transport.nativeengine.JettyWebSocket}, which speaks
 * RFC 6455 itself: it reads on the selector thread and is its connection's
 * {@link io.aphelion.server.session.FrameSink}. Spring's handlers see it as a
 * {@link io.aphelion.server.transport.nativeengine.NativeWebSocketSession}, so the same handler
 * chain and the application's decorators serve both engines.
 */
package io.aphelion.server.transport.nativeengine;
