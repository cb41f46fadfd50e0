package io.aphelion.server.observability;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.session.TransportMetrics;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * {@link TransportMetrics} recorded in Micrometer, every meter named {@code aphelion.*}.
 *
 * <p>Tags are low-cardinality by construction: {@code protocol} is {@code ping}, {@code game} or
 * {@code unknown} (an init packet may name any number); {@code outcome} and {@code code} are
 * {@link CloseCodes#name} values (about twenty, {@code other} for the rest); {@code reason} is a
 * {@link SessionEndReason}. Nothing names a session, a token or an address.
 *
 * <p>Hot path: every meter a frame or an ack touches is a field, registered in the constructor.
 * Handshake outcomes and close codes are looked up in a small map of counters, registered the
 * first time a code is seen (once per code, never per frame).
 *
 * <p>Thread-safe: Micrometer meters are; the maps are concurrent or never modified.
 */
public final class MicrometerTransportMetrics implements TransportMetrics {

    /** Protocol tag values, indexed by {@link #protocolIndex}. */
    private static final String[] PROTOCOL_TAGS = { "unknown", "ping", "game" };

    /** Outcome tag of a handshake that gave the client its token. */
    static final String OUTCOME_OK = "ok";

    /** Smallest ack round trip the histogram resolves. */
    private static final Duration RTT_MIN = Duration.ofMillis(1);

    /** Largest ack round trip the histogram resolves: the default ack timeout. */
    private static final Duration RTT_MAX = Duration.ofSeconds(30);

    private final MeterRegistry registry;

    private final Counter connectionsOpened;
    private final Counter framesReceived;
    private final Counter framesSent;
    private final Counter bytesReceived;
    private final Counter bytesSent;
    private final Counter acks;
    private final Counter ackedPackets;
    private final Timer ackRoundTrip;
    private final Counter resent;
    private final Counter volatileDropped;
    private final Counter slowClients;
    private final Counter[] sessionsStarted = new Counter[PROTOCOL_TAGS.length];
    private final Counter[] sessionsResumed = new Counter[PROTOCOL_TAGS.length];
    private final Map<SessionEndReason, Counter>[] sessionsEnded;

    /** Connection closes by close-code name. */
    private final ConcurrentHashMap<String, Counter> connectionsClosed = new ConcurrentHashMap<>();
    /** Handshakes by protocol index, then outcome. */
    private final ConcurrentHashMap<String, Counter>[] handshakes;

    @SuppressWarnings("unchecked")
    public MicrometerTransportMetrics(MeterRegistry registry) {
        this.registry = registry;
        connectionsOpened = Counter.builder("aphelion.connections.opened")
                .description("Websockets upgraded on the Aphelion endpoint").register(registry);
        framesReceived = frames("in");
        framesSent = frames("out");
        bytesReceived = bytes("in");
        bytesSent = bytes("out");
        acks = Counter.builder("aphelion.acks")
                .description("Acks received from clients").register(registry);
        ackedPackets = Counter.builder("aphelion.acked.packets")
                .description("Packets sent by the server and acked by clients").register(registry);
        ackRoundTrip = Timer.builder("aphelion.ack.rtt")
                .description("Time from sending a packet to the client's ack of it")
                .publishPercentileHistogram()
                .minimumExpectedValue(RTT_MIN)
                .maximumExpectedValue(RTT_MAX)
                .register(registry);
        resent = Counter.builder("aphelion.resent.messages")
                .description("Reliable messages queued again after their connection was lost").register(registry);
        volatileDropped = Counter.builder("aphelion.volatile.dropped")
                .description("Volatile messages dropped because their session's send buffer was full").register(registry);
        slowClients = Counter.builder("aphelion.slow.clients")
                .description("Sessions ended because their send buffer overflowed (close 4101)").register(registry);
        sessionsEnded = new Map[PROTOCOL_TAGS.length];
        handshakes = new ConcurrentHashMap[PROTOCOL_TAGS.length];
        for (int i = 0; i < PROTOCOL_TAGS.length; i++) {
            String protocol = PROTOCOL_TAGS[i];
            sessionsStarted[i] = Counter.builder("aphelion.sessions.started").tag("protocol", protocol)
                    .description("Sessions started").register(registry);
            sessionsResumed[i] = Counter.builder("aphelion.sessions.resumed").tag("protocol", protocol)
                    .description("Sessions resumed after losing all their connections").register(registry);
            EnumMap<SessionEndReason, Counter> ended = new EnumMap<>(SessionEndReason.class);
            for (SessionEndReason reason : SessionEndReason.values()) {
                ended.put(reason, Counter.builder("aphelion.sessions.ended").tag("protocol", protocol)
                        .tag("reason", reason.name().toLowerCase(Locale.ROOT))
                        .description("Sessions ended, by reason").register(registry));
            }
            sessionsEnded[i] = ended;
            handshakes[i] = new ConcurrentHashMap<>();
        }
        // The common outcomes exist from the start, so dashboards and alerts see zeros, not gaps.
        handshakeCounter(WireFormat.PROTOCOL_PING, 0);
        handshakeCounter(WireFormat.PROTOCOL_GAME, 0);
    }

    private Counter frames(String direction) {
        return Counter.builder("aphelion.frames").tag("direction", direction)
                .description("Websocket binary frames on the Aphelion endpoint").register(registry);
    }

    private Counter bytes(String direction) {
        return Counter.builder("aphelion.frame.bytes").tag("direction", direction).baseUnit("bytes")
                .description("Bytes of websocket binary frames on the Aphelion endpoint").register(registry);
    }

    /** The protocol tag for a protocol id: {@code ping}, {@code game}, or {@code unknown}. */
    static String protocolTag(int protocol) {
        return PROTOCOL_TAGS[protocolIndex(protocol)];
    }

    private static int protocolIndex(int protocol) {
        return switch (protocol) {
            case WireFormat.PROTOCOL_PING -> 1;
            case WireFormat.PROTOCOL_GAME -> 2;
            default -> 0;
        };
    }

    private Counter handshakeCounter(int protocol, int closeCode) {
        int index = protocolIndex(protocol);
        String outcome = closeCode == 0 ? OUTCOME_OK : CloseCodes.name(closeCode);
        return handshakes[index].computeIfAbsent(outcome, key -> Counter.builder("aphelion.handshakes")
                .tag("protocol", PROTOCOL_TAGS[index]).tag("outcome", key)
                .description("Handshakes, by outcome: ok, or the close code that refused the client")
                .register(registry));
    }

    @Override
    public void connectionOpened() {
        connectionsOpened.increment();
    }

    @Override
    public void connectionClosed(int closeCode) {
        connectionsClosed.computeIfAbsent(CloseCodes.name(closeCode), code -> Counter.builder("aphelion.connections.closed")
                .tag("code", code).description("Websockets closed, by close code").register(registry)).increment();
    }

    @Override
    public void handshake(int protocol, int closeCode) {
        handshakeCounter(protocol, closeCode).increment();
    }

    @Override
    public void frameReceived(int bytes) {
        framesReceived.increment();
        bytesReceived.increment(bytes);
    }

    @Override
    public void frameSent(int bytes) {
        framesSent.increment();
        bytesSent.increment(bytes);
    }

    @Override
    public void ackReceived(int packets, long rttNanos) {
        acks.increment();
        ackedPackets.increment(packets);
        if (rttNanos >= 0) {
            ackRoundTrip.record(rttNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void resent(int messages) {
        resent.increment(messages);
    }

    @Override
    public void volatileDropped() {
        volatileDropped.increment();
    }

    @Override
    public void slowClientDisconnected() {
        slowClients.increment();
    }

    @Override
    public void sessionStarted(int protocol) {
        sessionsStarted[protocolIndex(protocol)].increment();
    }

    @Override
    public void sessionResumed(int protocol) {
        sessionsResumed[protocolIndex(protocol)].increment();
    }

    @Override
    public void sessionEnded(int protocol, SessionEndReason reason) {
        sessionsEnded[protocolIndex(protocol)].get(reason).increment();
    }
}
