package io.aphelion.bench;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link InitPacket}: the per-handshake codec work (decode the 39-byte C2S init with and without a
 * token, encode the 32-byte reply) and a new token from {@link SecureRandom}, which is the part
 * of a handshake the codec cannot make cheaper.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class InitPacketBenchmark {

    private final SecureRandom random = new SecureRandom();
    private ByteBuffer newSession;
    private ByteBuffer withToken;
    private SessionToken token;

    @Setup
    public void setUp() {
        token = SessionToken.random(random);
        newSession = ByteBuffer.wrap(InitPacket.newSession(WireFormat.PROTOCOL_GAME, 1).encode());
        withToken = ByteBuffer.wrap(new InitPacket(WireFormat.PROTOCOL_GAME, 1, token).encode());
    }

    @Benchmark
    public InitPacket decodeNewSession() {
        return InitPacket.decode(newSession);
    }

    @Benchmark
    public InitPacket decodeWithToken() {
        return InitPacket.decode(withToken);
    }

    @Benchmark
    public byte[] encodeReply() {
        return InitPacket.encodeReply(token);
    }

    @Benchmark
    public SessionToken newToken() {
        return SessionToken.random(random);
    }
}
