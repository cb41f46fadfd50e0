/**
 * RFC 6455 as the native engine speaks it, with no socket and no thread: the protocol's numbers
 * and pure helpers ({@link io.aphelion.server.transport.rfc6455.WebSocketProtocol}) and the
 * incremental reader of client frames ({@link io.aphelion.server.transport.rfc6455.FrameReader}).
 */
package io.aphelion.server.transport.rfc6455;
