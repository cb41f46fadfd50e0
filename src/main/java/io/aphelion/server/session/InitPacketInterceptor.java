package io.aphelion.server.session;

import java.util.concurrent.Executor;

import io.aphelion.wire.InitPacket;

/**
 * The init packet's step, the first of every connection (the design card's "interceptor for the
 * init packet"): a connection awaiting init hands its first frame here, which checks it and hands
 * the connection to session management ({@link SessionRegistry}); ack tracking and the protocol's
 * own handler (the {@code GameMessageService} for protocol 2) take over from there. Implemented by
 * {@link io.aphelion.server.handshake.HandshakeService}; "handshake" in this code always means
 * this exchange (docs/PRODUCT.md "Handshake"), the HTTP one is "the upgrade".
 */
@FunctionalInterface
public interface InitPacketInterceptor {

    /**
     * Checks the init packet and attaches the connection to a new or existing session, queueing
     * the init reply.
     *
     * @return the session the connection now belongs to, or null when it was relayed to the node
     *         that owns its session (cluster mode: {@link ClientConnection#relayTo})
     * @throws io.aphelion.wire.ProtocolViolationException with the close code for a refused init packet
     */
    PlayerSession accept(InitPacket init, ClientConnection connection);

    /**
     * Where {@link #accept} must run for this init packet when it may wait (cluster mode: for the
     * session directory), so that the connection's reading thread, which reads other sockets too,
     * does not wait with it; null to run it at once, on the reading thread.
     */
    default Executor executorFor(InitPacket init, ClientConnection connection) {
        return null;
    }
}
