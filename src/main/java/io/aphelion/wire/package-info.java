/**
 * The Aphelion websocket transport on the wire: the init packets, the packet framing
 * ({@code ack} byte plus protobuf payload), session tokens and close codes.
 *
 * <p>Pure Java with no Spring dependency: shared by the server and the
 * {@link io.aphelion.client client}. Every number of the protocol lives in
 * {@link io.aphelion.wire.WireFormat} or {@link io.aphelion.wire.CloseCodes}.
 */
package io.aphelion.wire;
