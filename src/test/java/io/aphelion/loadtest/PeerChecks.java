package io.aphelion.loadtest;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;

import io.aphelion.server.testing.RawWebSocket;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.WireFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every peer of {@code scripts/bench.sh} must do for the comparison to hold, checked the same
 * way for each: speak the Netty baseline's framing to the byte ({@link #speaksTheBaselineFraming}),
 * and serve the bench's own load client ({@link #servesTheLoadClient}).
 */
final class PeerChecks {

    private static final String PATH = "/aphelion";

    private PeerChecks() {
    }

    /**
     * The baseline's behaviour, exact bytes: the 39-byte init packet gets a 32-byte token; an
     * ack-only packet gets nothing; each payload packet comes back at once behind an ack of 1; an
     * empty frame closes with 1002, an init of another length with 4003, a text frame with 1003.
     */
    static void speaksTheBaselineFraming(int port) throws IOException {
        try (RawWebSocket ws = RawWebSocket.connect(port, PATH)) {
            ws.sendBinary(InitPacket.newSession(WireFormat.PROTOCOL_PING, 1).encode());
            RawWebSocket.Frame token = ws.read();
            assertThat(token).as("init reply").isNotNull();
            assertThat(token.opcode()).isEqualTo(RawWebSocket.BINARY);
            assertThat(token.payload()).hasSize(WireFormat.S2C_INIT_LENGTH);

            ws.sendBinary(new byte[] { 0 });
            byte[] ping = { 0, 0x09, 1, 2, 3, 4, 5, 6, 7, 8 };
            ws.sendBinary(ping);
            // Had the ack-only packet been answered, its answer would come first.
            assertThat(ws.read().payload()).as("echo of the first payload packet")
                    .containsExactly(1, 0x09, 1, 2, 3, 4, 5, 6, 7, 8);
            ws.sendBinary(new byte[] { 1, 0x09, 8, 7, 6, 5, 4, 3, 2, 1 });
            assertThat(ws.read().payload()).as("echo of the second payload packet")
                    .containsExactly(1, 0x09, 8, 7, 6, 5, 4, 3, 2, 1);

            ws.sendBinary(new byte[0]);
            assertThat(closeCode(ws)).as("close code after an empty frame").isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
        try (RawWebSocket ws = RawWebSocket.connect(port, PATH)) {
            ws.sendBinary(new byte[WireFormat.C2S_INIT_LENGTH - 1]);
            assertThat(closeCode(ws)).as("close code after a 38-byte init").isEqualTo(CloseCodes.MALFORMED_INIT);
        }
        try (RawWebSocket ws = RawWebSocket.connect(port, PATH)) {
            ws.send(RawWebSocket.TEXT, "hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertThat(closeCode(ws)).as("close code after a text frame").isEqualTo(CloseCodes.UNSUPPORTED_DATA);
        }
    }

    /**
     * A short closed loop of the load client (two ping sessions, one ping in flight each) runs
     * against the peer without a close or an error, and measures round trips.
     */
    static LoadRun.Result servesTheLoadClient(int port) throws Exception {
        LoadOptions options = new LoadOptions();
        options.url = URI.create("ws://127.0.0.1:" + port + PATH);
        options.sessions = 2;
        options.protocol = WireFormat.PROTOCOL_PING;
        options.rate = -1;
        options.window = 1;
        options.warmup = Duration.ZERO;
        options.duration = Duration.ofMillis(300);
        options.threads = 1;
        options.quiet = true;
        options.label = "peer-check";
        LoadRun.Result result = new LoadRun(options).run();
        assertThat(result.opened()).as("sessions opened; %s", result.report()).isEqualTo(2);
        assertThat(result.roundTripsPerSecond()).as("round trips/s; %s", result.report()).isPositive();
        assertThat(result.rttP50()).as("rtt p50 ms; %s", result.report()).isPositive();
        assertThat(result.closeCodes()).as("unexpected closes").isEmpty();
        assertThat(result.errors()).as("client errors").isEmpty();
        return result;
    }

    private static int closeCode(RawWebSocket ws) throws IOException {
        RawWebSocket.Frame close = ws.readUntilClose();
        assertThat(close).as("a close frame").isNotNull();
        return close.closeCode();
    }
}
