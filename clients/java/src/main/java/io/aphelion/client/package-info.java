/**
 * A small Java client for the Aphelion websocket transport, on the JDK's
 * {@link java.net.http.WebSocket} (no Spring): performs the handshake, acks as the protocol asks,
 * opens extra connections of a session with its token and resumes a session after a drop.
 * Used by the tests and the load tool; usable by bots.
 *
 * <pre>{@code
 * AphelionClient client = AphelionClient.builder(URI.create("ws://127.0.0.1:8080/aphelion"))
 *         .protocol(WireFormat.PROTOCOL_GAME).version(1).build();
 * AphelionConnection first = client.connect(listener).join();      // a new session
 * AphelionConnection second = client.connect(first.token(), listener).join(); // same session
 * first.send(c2s.toByteArray());
 * }</pre>
 */
package io.aphelion.client;
