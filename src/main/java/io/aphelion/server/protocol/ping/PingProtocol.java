package io.aphelion.server.protocol.ping;

import java.nio.ByteBuffer;

import io.aphelion.proto.ping.C2S;
import io.aphelion.proto.ping.S2C;
import io.aphelion.server.protocol.Payloads;
import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.Delivery;
import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionListener;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.support.Scheduler;
import io.aphelion.wire.WireFormat;

/**
 * Protocol 1 (ping), version 1: answers each ping on the connection it came on with the echoed
 * {@code client_time}, the server's monotonic {@code server_time} in nanoseconds, the live game
 * sessions ({@code players}) and those of them with a connection open ({@code playing}); in a
 * cluster, of every node (the others' as of their last heartbeat).
 *
 * <p>Runs on the container thread: it is a fast path (one small allocation, no lock but the
 * session's). Answers are volatile: a late answer to a ping is worth nothing.
 */
public final class PingProtocol implements SessionListener<C2S> {

    private final SessionRegistry registry;
    private final Scheduler scheduler;

    public PingProtocol(SessionRegistry registry, Scheduler scheduler) {
        this.registry = registry;
        this.scheduler = scheduler;
    }

    @Override
    public C2S decode(ByteBuffer payload) {
        return Payloads.parse(C2S.parser(), payload, "ping");
    }

    @Override
    public void onMessage(PlayerSession session, ClientConnection connection, C2S ping) {
        S2C answer = S2C.newBuilder()
                .setClientTime(ping.getClientTime())
                .setServerTime(scheduler.nanoTime())
                .setPlayers(registry.clusterSessions(WireFormat.PROTOCOL_GAME))
                .setPlaying(registry.clusterConnectedSessions(WireFormat.PROTOCOL_GAME))
                .build();
        session.send(connection, answer.toByteArray(), Delivery.VOLATILE);
    }
}
