package io.aphelion.server.handshake;

import java.util.concurrent.Executor;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.InitPacketInterceptor;
import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.ProtocolViolationException;
import io.aphelion.wire.WireFormat;

/**
 * Checks init packets in docs/PRODUCT.md's order, first failure wins: length (4003, by the decoder),
 * protocol known and served (4000), version (0 passes; below min 4001; above max 4002), then the
 * token (unknown, ended or of another protocol: a new session; full: 4100).
 *
 * <p>Thread-safe and stateless beyond its immutable tables.
 */
public final class HandshakeService implements InitPacketInterceptor {

    private final SessionRegistry registry;
    private final Map<Integer, ServedProtocol> protocols;

    /**
     * @throws IllegalStateException when two of {@code served} have the same id
     */
    public HandshakeService(SessionRegistry registry, Collection<ServedProtocol> served) {
        this.registry = registry;
        Map<Integer, ServedProtocol> byId = new HashMap<>();
        for (ServedProtocol protocol : served) {
            ServedProtocol other = byId.putIfAbsent(protocol.id(), protocol);
            if (other != null) {
                throw new IllegalStateException("Protocol " + protocol.id() + " is served twice: by "
                        + other.listener().getClass().getName() + " and by " + protocol.listener().getClass().getName());
            }
        }
        this.protocols = Map.copyOf(byId);
        protocols.values().forEach(protocol -> registry.serve(protocol.id(), protocol.listener()));
    }

    /** The protocol served under this id, if any. */
    public Optional<ServedProtocol> served(int id) {
        return Optional.ofNullable(protocols.get(id));
    }

    @Override
    public Executor executorFor(InitPacket init, ClientConnection connection) {
        return registry.executorFor(init);
    }

    @Override
    public PlayerSession accept(InitPacket init, ClientConnection connection) {
        ServedProtocol served = protocols.get(init.protocol());
        if (served == null) {
            throw new ProtocolViolationException(CloseCodes.INVALID_PROTOCOL, "Protocol " + init.protocol() + " is not served");
        }
        int version = init.version();
        if (version != WireFormat.VERSION_BYPASS) {
            if (version < served.minVersion()) {
                throw new ProtocolViolationException(CloseCodes.VERSION_TOO_OLD,
                        "Version " + version + " is too old; oldest served is " + served.minVersion());
            }
            if (version > served.maxVersion()) {
                throw new ProtocolViolationException(CloseCodes.VERSION_TOO_NEW,
                        "Version " + version + " is too new; newest served is " + served.maxVersion());
            }
        }
        int effective = version == WireFormat.VERSION_BYPASS ? served.maxVersion() : version;
        return registry.attach(init, effective, served.listener(), connection);
    }
}
