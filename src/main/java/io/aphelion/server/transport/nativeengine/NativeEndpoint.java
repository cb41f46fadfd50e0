package io.aphelion.server.transport.nativeengine;

import io.aphelion.server.transport.AphelionWebSocketHandler;

import java.net.URI;
import java.time.Duration;

import org.springframework.web.socket.WebSocketHandler;

/**
 * What every websocket of the native engine's endpoint shares, made once by
 * {@link AphelionUpgradeHandler} rather than held field by field in each websocket (heap per idle
 * websocket is budgeted).
 *
 * @param handler the decorated handler every websocket's events go to: admission, the application's
 *        decorators, then {@link AphelionWebSocketHandler} (the same chain as the servlet engine's)
 * @param path the endpoint's path as a relative URI, which {@link NativeWebSocketSession#getUri()}
 *        returns for an upgrade without a query string
 * @param maxMessageSize the largest binary message accepted, in bytes (1009 above it)
 * @param idleTimeoutMillis how long a silent socket stays open (a backstop behind the server's pings)
 * @param sendTimeLimit longest time one write may take before the socket is dropped (zero: no limit)
 */
record NativeEndpoint(WebSocketHandler handler, URI path, int maxMessageSize, long idleTimeoutMillis, Duration sendTimeLimit) {
}
