package io.aphelion.server.observability;

import io.aphelion.server.session.SessionRegistry;
import io.aphelion.wire.WireFormat;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Gauges of what the {@link SessionRegistry} holds now: live sessions by protocol, open
 * connections, and the messages and bytes held unsent or unacked. Read at scrape time, so nothing is counted twice or drifts.
 *
 * <p>A binder of its own rather than part of {@link MicrometerTransportMetrics}: the registry
 * needs the metrics when it is built, and these gauges need the registry.
 */
public final class SessionGauges implements MeterBinder {

    private final SessionRegistry sessions;

    public SessionGauges(SessionRegistry sessions) {
        this.sessions = sessions;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (int protocol : new int[] { WireFormat.PROTOCOL_PING, WireFormat.PROTOCOL_GAME }) {
            String tag = MicrometerTransportMetrics.protocolTag(protocol);
            Gauge.builder("aphelion.sessions", sessions, live -> live.liveSessions(protocol))
                    .tag("protocol", tag)
                    .description("Live sessions, including those waiting to be resumed")
                    .strongReference(true)
                    .register(registry);
            Gauge.builder("aphelion.sessions.connected", sessions, live -> live.connectedSessions(protocol))
                    .tag("protocol", tag)
                    .description("Live sessions that hold at least one connection")
                    .strongReference(true)
                    .register(registry);
        }
        Gauge.builder("aphelion.connections", sessions, SessionRegistry::openConnections)
                .description("Open connections attached to a session (past the handshake)")
                .strongReference(true)
                .register(registry);
        Gauge.builder("aphelion.send.buffer.messages", sessions, SessionRegistry::bufferedMessages)
                .description("Messages held for clients, not yet sent or not yet acked, across all sessions")
                .strongReference(true)
                .register(registry);
        Gauge.builder("aphelion.send.buffer.bytes", sessions, SessionRegistry::bufferedBytes)
                .description("Payload bytes held for clients, not yet sent or not yet acked, across all sessions")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
    }
}
