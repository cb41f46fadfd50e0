package io.aphelion.server.observability;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.wire.WireFormat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code aphelionsessions} Actuator endpoint: every live session, one session by id, and
 * closing one. Over the web: {@code GET /actuator/aphelionsessions},
 * {@code GET /actuator/aphelionsessions/{id}} (404 for an id that is not live) and
 * {@code DELETE /actuator/aphelionsessions/{id}}, which ends the session as
 * {@link SessionEndReason#CLOSED_BY_SERVER} (its clients get close 1000, the game hears
 * {@code sessionEnded}). Never shows a session's token.
 *
 * <p>Not exposed over the web unless listed in {@code management.endpoints.web.exposure.include};
 * it belongs on the management port ({@code management.server.port}), kept off the internet.
 *
 * <p>Thread-safe: reads the registry, whose sessions take their own lock for each accessor.
 */
@Endpoint(id = AphelionSessionsEndpoint.ID)
public class AphelionSessionsEndpoint {

    /** The endpoint's id: its path under {@code /actuator} and its name in exposure lists. */
    public static final String ID = "aphelionsessions";

    /** The close reason a session closed here is sent with. */
    static final String CLOSE_REASON = "Closed by an operator";

    private static final Logger log = LoggerFactory.getLogger(AphelionSessionsEndpoint.class);

    /** The protocols whose sessions are listed. */
    private static final int[] PROTOCOLS = { WireFormat.PROTOCOL_PING, WireFormat.PROTOCOL_GAME };

    private final SessionRegistry registry;

    public AphelionSessionsEndpoint(SessionRegistry registry) {
        this.registry = registry;
    }

    /** Every live session (connected, or waiting to be resumed), by id. */
    @ReadOperation
    public SessionsDescriptor sessions() {
        List<SessionDescriptor> sessions = new ArrayList<>();
        for (int protocol : PROTOCOLS) {
            registry.forEach(protocol, session -> sessions.add(SessionDescriptor.of(session)));
        }
        sessions.sort(Comparator.comparingLong(SessionDescriptor::id));
        return new SessionsDescriptor(sessions);
    }

    /** One live session, or null (404 over the web) when no live session has this id. */
    @ReadOperation
    public SessionDescriptor session(@Selector long id) {
        return registry.find(id).map(SessionDescriptor::of).orElse(null);
    }

    /**
     * Ends a live session: its connections are closed with 1000 and {@value #CLOSE_REASON}.
     *
     * @return the session as it was just before, or null when no live session has this id
     */
    @DeleteOperation
    public SessionDescriptor close(@Selector long id) {
        Optional<PlayerSession> found = registry.find(id);
        if (found.isEmpty()) {
            return null;
        }
        PlayerSession session = found.get();
        SessionDescriptor closed = SessionDescriptor.of(session);
        session.close(SessionEndReason.CLOSED_BY_SERVER, CLOSE_REASON);
        log.info("Session {} closed by an operator", id);
        return closed;
    }

    /** The live sessions. */
    public record SessionsDescriptor(List<SessionDescriptor> sessions) {
    }

    /**
     * One session as an operator sees it.
     *
     * @param id the session's id, as logged (MDC {@code aphelion.session}) and as the game sees it
     * @param protocol {@code ping} or {@code game}
     * @param version the protocol version the session speaks
     * @param state {@code LIVE} (holds connections) or {@code DETACHED} (waiting to be resumed)
     * @param connections open connections now
     * @param remoteAddress the client's address on its most recent connection, {@code ip:port}
     * @param bufferedBytes payload bytes held for the client, unsent or unacked
     * @param bufferedMessages messages held for the client, unsent or unacked
     * @param roundTripTimeMillis smoothed round trip measured from the client's acks, null before its first ack
     */
    public record SessionDescriptor(long id, String protocol, int version, String state, int connections,
            String remoteAddress, long bufferedBytes, int bufferedMessages,
            Double roundTripTimeMillis) {

        static SessionDescriptor of(PlayerSession session) {
            return new SessionDescriptor(session.id(), protocolName(session.protocol()), session.version(),
                    session.state().name(), session.connectionCount(), address(session.remoteAddress()),
                    session.bufferedBytes(), session.bufferedMessages(),
                    session.roundTripTime().map(rtt -> rtt.toNanos() / 1_000_000.0).orElse(null));
        }

        private static String protocolName(int protocol) {
            return switch (protocol) {
                case WireFormat.PROTOCOL_PING -> "ping";
                case WireFormat.PROTOCOL_GAME -> "game";
                default -> Integer.toString(protocol);
            };
        }

        private static String address(InetSocketAddress address) {
            if (address == null) {
                return null;
            }
            String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
        }
    }
}
