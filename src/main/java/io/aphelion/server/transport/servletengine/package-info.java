/**
 * The servlet engine ({@code aphelion.websocket.engine=servlet}): Spring's websocket support
 * through the servlet container, for deployments whose servlet filters (Spring Security) must see
 * the upgrade. Its interceptors of the upgrade (Spring's HandshakeInterceptor) record when the socket was accepted, the forwarded client
 * address and the allowed origins for the shared handler chain, and
 * {@link io.aphelion.server.transport.servletengine.JettyFrameSink} writes through Jetty's websocket
 * session with the same write loop as the native engine.
 */
package io.aphelion.server.transport.servletengine;
