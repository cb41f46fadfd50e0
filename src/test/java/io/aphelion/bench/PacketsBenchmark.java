package io.aphelion.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import io.aphelion.wire.Packets;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Packets}: framing one outgoing packet (ack byte + payload copy) and reading a received
 * one (ack byte and payload view), for a ping-sized and a larger payload.
 * Run: see docs/BENCHMARKS.md ("JMH").
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PacketsBenchmark {

    /** 9: a ping C2S (tag + sfixed64); 512: a larger game message. */
    @Param({ "9", "512" })
    int payloadSize;

    private byte[] payload;
    private ByteBuffer received;

    @Setup
    public void setUp() {
        payload = new byte[payloadSize];
        received = ByteBuffer.allocate(1 + payloadSize);
        received.put(0, (byte) 3);
    }

    @Benchmark
    public ByteBuffer encode() {
        return Packets.encode(1, payload);
    }

    @Benchmark
    public int decodeAckAndPayload() {
        return Packets.ack(received) + Packets.payload(received).remaining();
    }
}
