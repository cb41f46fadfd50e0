package io.aphelion.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import io.aphelion.server.transport.rfc6455.FrameReader;

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
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link FrameReader}: reading one masked client frame (header, unmask in place, hand over a view)
 * for a ping-sized packet and a larger one, and eight ping packets read from one buffer as the
 * native engine does when a client sends them together. Run: see docs/BENCHMARKS.md ("JMH").
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrameReaderBenchmark {

    /** 10: ack byte + a ping C2S; 512: a larger game message. */
    @Param({ "10", "512" })
    int packetSize;

    private byte[] oneFrame;
    private byte[] eightFrames;
    private ByteBuffer buffer;
    private FrameReader reader;
    private Blackhole blackhole;

    @Setup
    public void setUp(Blackhole blackhole) {
        this.blackhole = blackhole;
        oneFrame = maskedBinaryFrame(new byte[packetSize]);
        eightFrames = new byte[oneFrame.length * 8];
        for (int i = 0; i < 8; i++) {
            System.arraycopy(oneFrame, 0, eightFrames, i * oneFrame.length, oneFrame.length);
        }
        buffer = ByteBuffer.allocate(eightFrames.length);
        reader = new FrameReader(new FrameReader.Handler() {
            @Override
            public void onBinary(ByteBuffer message) {
                FrameReaderBenchmark.this.blackhole.consume(message.get(message.position()));
            }

            @Override
            public void onText() {
            }

            @Override
            public void onPing(ByteBuffer payload) {
            }

            @Override
            public void onPong(ByteBuffer payload) {
            }

            @Override
            public void onCloseFrame(int code, String reason) {
            }

            @Override
            public void onViolation(int closeCode, String reason) {
                throw new IllegalStateException(reason);
            }
        }, 64 * 1024);
    }

    @Benchmark
    public int readOneFrame() {
        return read(oneFrame);
    }

    @Benchmark
    public int readEightFrames() {
        return read(eightFrames);
    }

    private int read(byte[] bytes) {
        // The reader unmasks in place: copy the masked bytes in each time, as a socket read would.
        buffer.clear();
        buffer.put(bytes).flip();
        reader.read(buffer);
        return buffer.position();
    }

    private static byte[] maskedBinaryFrame(byte[] payload) {
        int extended = payload.length < 126 ? 0 : 2;
        byte[] frame = new byte[2 + extended + 4 + payload.length];
        frame[0] = (byte) 0x82;
        if (extended == 0) {
            frame[1] = (byte) (0x80 | payload.length);
        }
        else {
            frame[1] = (byte) (0x80 | 126);
            frame[2] = (byte) (payload.length >> 8);
            frame[3] = (byte) payload.length;
        }
        byte[] mask = { 0x37, (byte) 0xfa, 0x21, 0x3d };
        int start = 2 + extended;
        System.arraycopy(mask, 0, frame, start, 4);
        for (int i = 0; i < payload.length; i++) {
            frame[start + 4 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        return frame;
    }
}
