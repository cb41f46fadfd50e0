package io.aphelion.server.session;

import io.aphelion.wire.InitPacket;

/**
 * Turns a client's init packet into a session for its connection: implemented by
 * {@link io.aphelion.server.handshake.HandshakeService}.
 */
@FunctionalInterface
public interface Handshake {

    /**
     * Checks the init packet and attaches the connection to a new or existing session, queueing
     * the init reply.
     *
     * @return the session the connection now belongs to
     * @throws io.aphelion.wire.ProtocolViolationException with the close code for a refused init packet
     */
    Session accept(InitPacket init, ClientConnection connection);
}
