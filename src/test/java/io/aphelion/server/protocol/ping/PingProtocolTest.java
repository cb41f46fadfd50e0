package io.aphelion.server.protocol.ping;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

import com.google.protobuf.UnknownFieldSet;

import io.aphelion.proto.ping.C2S;
import io.aphelion.server.handshake.HandshakeService;
import io.aphelion.server.handshake.ServedProtocol;
import io.aphelion.server.session.TransportMetrics;
import io.aphelion.server.session.AckFlusher;
import io.aphelion.server.session.Keepalive;
import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.TransportSettings;
import io.aphelion.server.testing.FakeSink;
import io.aphelion.server.testing.ManualScheduler;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Protocol 1 as the original client reads it: every field it marks required, and the player
 * counts, are on the wire even when they are zero.
 */
class PingProtocolTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final TransportSettings settings = new TransportSettings(Duration.ofSeconds(10), Duration.ofSeconds(20),
            Duration.ofSeconds(20), Duration.ofMillis(2), Duration.ofSeconds(30), Duration.ofSeconds(10),
            Duration.ofSeconds(30), 3, 1_000_000, 1000);
    private final SessionRegistry registry = new SessionRegistry(scheduler, settings, TransportMetrics.NONE);
    private final HandshakeService handshake = new HandshakeService(registry,
            List.of(new ServedProtocol(WireFormat.PROTOCOL_PING, 1, 1, new PingProtocol(registry, scheduler))));

    @Test
    void answerWritesEveryFieldEvenWhenZero() throws Exception {
        FakeSink sink = new FakeSink();
        ClientConnection connection = new ClientConnection(sink, handshake, scheduler, settings, TransportMetrics.NONE,
                new AckFlusher(scheduler, settings.ackDelay()), new Keepalive(scheduler, settings.pingInterval(), settings.pongTimeout()));
        connection.opened();
        connection.onFrame(ByteBuffer.wrap(InitPacket.newSession(WireFormat.PROTOCOL_PING, 1).encode()));
        assertThat(registry.liveSessions(WireFormat.PROTOCOL_GAME)).as("no game session: players is 0").isZero();

        byte[] ping = C2S.newBuilder().setClientTime(0).build().toByteArray();
        byte[] packet = new byte[ping.length + 1];
        System.arraycopy(ping, 0, packet, 1, ping.length);
        connection.onFrame(ByteBuffer.wrap(packet));

        List<byte[]> frames = sink.frames();
        byte[] answer = frames.get(frames.size() - 1);
        assertThat(answer[0]).as("the answer acks the ping").isEqualTo((byte) 1);
        UnknownFieldSet fields = UnknownFieldSet.parseFrom(java.util.Arrays.copyOfRange(answer, 1, answer.length));
        assertThat(fields.getField(1).getFixed64List()).as("client_time").containsExactly(0L);
        assertThat(fields.getField(2).getFixed64List()).as("server_time").hasSize(1);
        assertThat(fields.getField(3).getVarintList()).as("players").containsExactly(0L);
        assertThat(fields.getField(4).getVarintList()).as("playing").containsExactly(0L);
    }
}
