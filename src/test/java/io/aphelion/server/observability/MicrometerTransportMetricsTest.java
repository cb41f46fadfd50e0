package io.aphelion.server.observability;

import java.util.concurrent.TimeUnit;

import io.aphelion.server.session.SessionEndReason;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link MicrometerTransportMetrics} against a {@link SimpleMeterRegistry}: meter names, tags,
 * and that every per-frame meter exists before the first frame.
 */
class MicrometerTransportMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final MicrometerTransportMetrics metrics = new MicrometerTransportMetrics(registry);

    @Test
    void perFrameMetersAreRegisteredBeforeTheFirstFrame() {
        assertThat(registry.find("aphelion.frames").tag("direction", "in").counter()).isNotNull();
        assertThat(registry.find("aphelion.frames").tag("direction", "out").counter()).isNotNull();
        assertThat(registry.find("aphelion.frame.bytes").tag("direction", "in").counter()).isNotNull();
        assertThat(registry.find("aphelion.acks").counter()).isNotNull();
        assertThat(registry.find("aphelion.ack.rtt").timer()).isNotNull();
        assertThat(registry.find("aphelion.handshakes").tags("protocol", "game", "outcome", "ok").counter()).isNotNull();
        assertThat(registry.find("aphelion.sessions.ended").tags("protocol", "ping", "reason", "shutdown").counter())
                .isNotNull();
    }

    @Test
    void framesCountFramesAndBytesByDirection() {
        metrics.frameReceived(39);
        metrics.frameReceived(1);
        metrics.frameSent(100);

        assertThat(count("aphelion.frames", "direction", "in")).isEqualTo(2);
        assertThat(count("aphelion.frame.bytes", "direction", "in")).isEqualTo(40);
        assertThat(count("aphelion.frames", "direction", "out")).isEqualTo(1);
        assertThat(count("aphelion.frame.bytes", "direction", "out")).isEqualTo(100);
    }

    @Test
    void handshakesAreTaggedByProtocolAndOutcome() {
        metrics.handshake(WireFormat.PROTOCOL_GAME, 0);
        metrics.handshake(WireFormat.PROTOCOL_PING, CloseCodes.VERSION_TOO_NEW);
        metrics.handshake(12345, CloseCodes.INVALID_PROTOCOL);

        assertThat(registry.get("aphelion.handshakes").tags("protocol", "game", "outcome", "ok").counter().count())
                .isEqualTo(1);
        assertThat(registry.get("aphelion.handshakes").tags("protocol", "ping", "outcome", "version_too_new")
                .counter().count()).isEqualTo(1);
        assertThat(registry.get("aphelion.handshakes").tags("protocol", "unknown", "outcome", "invalid_protocol")
                .counter().count()).isEqualTo(1);
    }

    @Test
    void protocolTagNeverCarriesTheRawNumber() {
        for (int protocol = 0; protocol < 500; protocol++) {
            metrics.handshake(protocol, CloseCodes.INVALID_PROTOCOL);
            metrics.sessionStarted(protocol);
        }
        assertThat(registry.find("aphelion.handshakes").meters()).extracting(meter -> meter.getId().getTag("protocol"))
                .containsOnly("ping", "game", "unknown");
    }

    @Test
    void closesAreTaggedByCodeName() {
        metrics.connectionClosed(CloseCodes.GOING_AWAY);
        metrics.connectionClosed(CloseCodes.GOING_AWAY);
        metrics.connectionClosed(4999);

        assertThat(count("aphelion.connections.closed", "code", "going_away")).isEqualTo(2);
        assertThat(count("aphelion.connections.closed", "code", "other")).isEqualTo(1);
    }

    @Test
    void acksCountPacketsAndTimeTheRoundTripWhenSampled() {
        metrics.ackReceived(3, TimeUnit.MILLISECONDS.toNanos(12));
        metrics.ackReceived(2, -1);

        assertThat(registry.get("aphelion.acks").counter().count()).isEqualTo(2);
        assertThat(registry.get("aphelion.acked.packets").counter().count()).isEqualTo(5);
        Timer rtt = registry.get("aphelion.ack.rtt").timer();
        assertThat(rtt.count()).isEqualTo(1);
        assertThat(rtt.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(12);
    }

    @Test
    void sessionLifeIsCountedByProtocolAndReason() {
        metrics.sessionStarted(WireFormat.PROTOCOL_GAME);
        metrics.sessionResumed(WireFormat.PROTOCOL_GAME);
        metrics.sessionEnded(WireFormat.PROTOCOL_GAME, SessionEndReason.SHUTDOWN);
        metrics.sessionEnded(WireFormat.PROTOCOL_GAME, SessionEndReason.SEND_BUFFER_OVERFLOW);
        metrics.slowClientDisconnected();
        metrics.volatileDropped();
        metrics.resent(7);

        assertThat(count("aphelion.sessions.started", "protocol", "game")).isEqualTo(1);
        assertThat(count("aphelion.sessions.resumed", "protocol", "game")).isEqualTo(1);
        assertThat(registry.get("aphelion.sessions.ended").tags("protocol", "game", "reason", "shutdown")
                .counter().count()).isEqualTo(1);
        assertThat(registry.get("aphelion.sessions.ended").tags("protocol", "game", "reason", "send_buffer_overflow")
                .counter().count()).isEqualTo(1);
        assertThat(registry.get("aphelion.slow.clients").counter().count()).isEqualTo(1);
        assertThat(registry.get("aphelion.volatile.dropped").counter().count()).isEqualTo(1);
        assertThat(registry.get("aphelion.resent.messages").counter().count()).isEqualTo(7);
    }

    @Test
    void everyMeterIsNamedAphelion() {
        metrics.connectionClosed(CloseCodes.NORMAL);
        assertThat(registry.getMeters()).extracting(Meter::getId).allSatisfy(id ->
                assertThat(id.getName()).startsWith("aphelion."));
    }

    private double count(String name, String tag, String value) {
        Counter counter = registry.get(name).tag(tag, value).counter();
        return counter.count();
    }
}
