package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.FrameSink;
import io.aphelion.server.support.Scheduler;
import io.aphelion.server.transport.rfc6455.FrameReader;
import io.aphelion.server.transport.rfc6455.WebSocketProtocol;
import io.aphelion.wire.CloseCodes;

import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PongMessage;

/**
 * One websocket of the native engine: RFC 6455 spoken directly on Jetty's socket after
 * {@link AphelionUpgradeHandler} answered the upgrade, with no websocket library in between.
 * It reads frames with a {@link FrameReader} and hands what they carry, through its Spring session
 * ({@link NativeWebSocketSession}), to the same decorated Spring {@code WebSocketHandler} as the
 * servlet engine's: admission, the application's decorators, then {@link AphelionWebSocketHandler},
 * which makes the websocket's {@code ClientConnection}. It is that connection's {@link FrameSink}.
 *
 * <p><b>Reads run on Jetty's selector thread</b> (a non-blocking fillable callback): a frame is
 * read, handled and, for a ping, answered and written on one thread, with no hand-off to a pool.
 * Nothing on that path blocks: the session's lock is held briefly, game messages go to the game
 * executor, writes are asynchronous. A frame costs the handler chain one message object and a few
 * calls: no map look-up, no lock. The input buffer comes from Jetty's pool and goes back as
 * soon as everything in it was read, so an idle websocket holds no buffer.
 *
 * <p><b>Writes</b> are asynchronous, one at a time: frames wait in a small queue (the
 * {@link ClientConnection} keeps at most one data frame outstanding; pongs, pings and the close frame
 * join it). Each frame is encoded into one pooled direct buffer, returned when written.
 * <b>Coalescing:</b> while the reading thread handles one batch of received bytes, the frames it
 * writes (the answers to what it read) are accepted at once and gathered, up to
 * {@link #MAX_CORKED_BYTES}, into one write when the batch ends, as Netty's flush-on-read-complete
 * does: eight pings read together cost one write, not eight. Frames from other threads wait
 * behind the gathered ones, so the order of every write is kept.
 *
 * <p><b>Closing</b> follows RFC 6455 7: a close frame is written once; after a close we send,
 * the socket is closed when the client's close frame arrives or {@link #CLOSE_HANDSHAKE_TIMEOUT}
 * passes, and at once when we closed for a protocol violation; a client's close frame is echoed
 * and then the socket is closed. Whatever ends the socket, the handler hears of it once
 * ({@code afterConnectionClosed}): at the client's close frame, at a protocol violation, or when the
 * socket closes, whichever comes first.
 *
 * <p>Threads: {@link #onFillable} and the {@link FrameReader.Handler} methods run on the reading
 * thread, one at a time; the {@link FrameSink} methods and {@link #close} may come from any thread;
 * the write state is guarded by {@link #writeLock}.
 */
final class JettyWebSocket extends AbstractConnection.NonBlocking
        implements org.eclipse.jetty.io.Connection.UpgradeTo, FrameSink, FrameReader.Handler {

    private static final Logger log = LoggerFactory.getLogger(JettyWebSocket.class);

    /**
     * Most bytes the reading thread gathers into one write while it reads a batch; beyond it, frames
     * wait for the write to complete as usual (so a burst of answers stays bounded).
     */
    static final int MAX_CORKED_BYTES = 16 * 1024;

    /**
     * Buffers one socket may fill in one turn on the selector thread (64 KiB); then it waits for its
     * next turn, so a client that sends without pause cannot keep the thread from the other sockets.
     */
    static final int MAX_FILLS_PER_TURN = 16;

    /** Size of the pooled input buffer; larger messages are gathered by the reader. */
    static final int INPUT_BUFFER_SIZE = 4096;

    /** How long a close frame we sent waits for the client's before the socket is closed anyway. */
    static final Duration CLOSE_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);

    private static final byte[] EMPTY = new byte[0];

    private final ByteBufferPool pool;
    /** For the close handshake's deadline. */
    private final Scheduler timers;
    /** Closes the socket {@link #CLOSE_HANDSHAKE_TIMEOUT} after our close frame was queued, whatever arrives meanwhile. */
    private volatile Scheduler.Cancellable closeDeadline = Scheduler.Cancellable.NONE;
    private final FrameReader reader;
    /** The client's address, after any trusted proxy. */
    private final InetSocketAddress remoteAddress;
    /** This websocket as Spring's handlers see it; holds the connection once the handler made it. */
    private final NativeWebSocketSession session;

    // Reading thread only (whoever moved readState to READING, or onClose once nobody reads).
    /** Bytes received and not read yet (an incomplete frame), or null while there are none. */
    private RetainableByteBuffer input;
    /**
     * {@link #IDLE}, {@link #READING} (a thread is in {@link #onFillable} and owns {@link #input}) or
     * {@link #CLOSED} (the socket closed; the handlers have been told): whoever
     * finds the socket closed and nobody reading returns the input buffer.
     */
    private final AtomicInteger readState = new AtomicInteger(IDLE);
    private static final int IDLE = 0;
    private static final int READING = 1;
    private static final int CLOSED = 2;

    // Coalescing: what the reading thread writes while it reads one batch of bytes leaves in one write.
    /** The thread reading a batch now, while its writes are corked; null otherwise. */
    private volatile Thread corkedBy;
    /** Frames the reading thread wrote during this batch, in order; reading thread only, null when none. */
    private ArrayDeque<RetainableByteBuffer> corked;
    /** Bytes in {@link #corked}. */
    private int corkedBytes;

    // Write state, guarded by writeLock.
    private final Object writeLock = new Object();
    /** The frame being written, or null when the writer is idle. */
    private Pending writing;
    /** Frames waiting behind {@link #writing}, oldest first; null while none ever waited. */
    private ArrayDeque<Pending> waiting;
    /** The latest pong waiting for the writer, written before {@link #waiting}; at most one. */
    private Pending waitingPong;
    /** A close frame was queued: nothing is written after it. */
    private boolean closeQueued;
    /** The close frame we queued was written. */
    private boolean closeWritten;
    /** The client's close frame arrived (or it broke the protocol): close the socket once ours is out. */
    private boolean closeSocketAfterClose;

    /** Completion of the frame being written; continues with the next. Runs on whichever thread completes it. */
    private final Callback written = new Callback() {
        @Override
        public void succeeded() {
            onWritten();
        }

        @Override
        public void failed(Throwable cause) {
            onWriteFailed(cause);
        }

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING;
        }
    };

    /** A frame to write: its encoded bytes, the caller's callback (or none), and whether it is the close frame. */
    private record Pending(RetainableByteBuffer frame, WriteCallback callback, boolean close) {
    }

    /** Holds the writer while the reading thread corks frames: later frames from other threads wait behind them. */
    private static final Pending CORKED = new Pending(null, null, false);

    /**
     * @param endpoint what every websocket of the endpoint shares: its handler, limits and idle timeout
     * @param remoteAddress the client's address, after any trusted proxy
     * @param uri the upgrade request's path and query, as {@link NativeWebSocketSession#getUri()} returns it
     */
    JettyWebSocket(EndPoint endPoint, Executor executor, ByteBufferPool pool, Scheduler timers, NativeEndpoint endpoint,
            InetSocketAddress remoteAddress, URI uri) {
        super(endPoint, executor);
        this.pool = pool;
        this.timers = timers;
        this.remoteAddress = remoteAddress;
        this.reader = new FrameReader(this, endpoint.maxMessageSize());
        this.session = new NativeWebSocketSession(this, endpoint, uri);
    }

    /** This websocket as Spring's handlers see it. */
    NativeWebSocketSession session() {
        return session;
    }

    @Override
    public void onUpgradeTo(ByteBuffer buffer) {
        // Bytes the client sent right behind its upgrade request: read before anything else.
        input = pool.acquire(Math.max(INPUT_BUFFER_SIZE, buffer.remaining()), false);
        BufferUtil.append(input.getByteBuffer(), buffer);
    }

    @Override
    public void onOpen() {
        super.onOpen();
        getEndPoint().setIdleTimeout(session.endpoint().idleTimeoutMillis());
        // Admission (closes it with 1001 while shutting down), the application's decorators, then
        // AphelionWebSocketHandler, which makes the connection and starts its init timeout.
        session.opened();
        if (input != null) {
            onFillable();
        }
        else {
            fillInterested();
        }
    }

    @Override
    public void onFillable() {
        if (!readState.compareAndSet(IDLE, READING)) {
            return; // the socket closed
        }
        boolean more;
        corkedBy = Thread.currentThread();
        try {
            more = readAvailable();
        }
        catch (Throwable ex) {
            releaseInput();
            log.debug("Reading from {} failed: {}", remoteAddress, ex.toString());
            getEndPoint().close(ex);
            more = false;
        }
        finally {
            corkedBy = null;
            uncork();
        }
        if (!readState.compareAndSet(READING, IDLE)) {
            releaseInput(); // the socket closed while we read: its buffer is ours to return
            return;
        }
        // Only now: once read interest is set, another thread may start reading.
        if (more) {
            fillInterested();
        }
    }

    /**
     * Reads and handles what the socket has, at most {@link #MAX_FILLS_PER_TURN} buffers. True when
     * it waits for more (or stopped at the cap: the selector notices the rest at once, after the
     * other sockets' turns); false when reading ended.
     */
    private boolean readAvailable() throws java.io.IOException {
        for (int fills = 0; ; fills++) {
            if (input == null) {
                input = pool.acquire(INPUT_BUFFER_SIZE, false);
            }
            ByteBuffer buffer = input.getByteBuffer();
            if (buffer.hasRemaining()) {
                reader.read(buffer);
                if (reader.isStopped()) {
                    // A close frame or a violation: the close is under way, nothing more to read.
                    releaseInput();
                    return false;
                }
                BufferUtil.compact(buffer);
            }
            if (fills == MAX_FILLS_PER_TURN) {
                return true;
            }
            int filled = getEndPoint().fill(buffer);
            if (filled > 0) {
                continue;
            }
            if (filled == 0) {
                if (!buffer.hasRemaining()) {
                    releaseInput();
                }
                return true;
            }
            releaseInput();
            log.debug("Websocket from {} ended without a close frame", remoteAddress);
            getEndPoint().close();
            return false;
        }
    }

    private void releaseInput() {
        RetainableByteBuffer held = input;
        input = null;
        if (held != null) {
            held.release();
        }
    }

    // ---- FrameReader.Handler: the reading thread

    @Override
    public void onBinary(ByteBuffer message) {
        session.received(new BinaryMessage(message));
    }

    @Override
    public void onText() {
        session.received(NativeWebSocketSession.TEXT_FRAME);
    }

    @Override
    public void onPing(ByteBuffer payload) {
        // Answered here: Spring's handlers have no message for a ping, but it counts against the rate limit.
        session.countFrame();
        // encode copies the payload at once, while it is still valid.
        enqueue(encode(WebSocketProtocol.OPCODE_PONG, payload), null, false, true);
    }

    @Override
    public void onFragment() {
        // The message reaches the handlers once whole; each of its frames counts against the rate limit.
        session.countFrame();
    }

    @Override
    public void onPong(ByteBuffer payload) {
        session.received(new PongMessage(payload));
    }

    @Override
    public void onCloseFrame(int code, String reason) {
        session.closed(new CloseStatus(code, reason));
        // Echo the client's code (RFC 6455 5.5.1); nothing when our own close is queued already.
        writeClose(code == CloseCodes.NO_STATUS ? EMPTY : WebSocketProtocol.closePayload(code, ""));
        closeSocketOnceOurCloseIsOut();
    }

    @Override
    public void onViolation(int closeCode, String reason) {
        log.debug("Closing websocket from {} with {} ({}): {}", remoteAddress, closeCode, CloseCodes.name(closeCode), reason);
        close(closeCode, reason);
        // The handlers hear it as the close it is, with our code.
        session.closed(new CloseStatus(closeCode, reason));
        closeSocketOnceOurCloseIsOut();
    }

    /**
     * Nothing more is expected from the client (its close frame came, or it broke the protocol):
     * the socket closes as soon as our close frame is written, now if it already is.
     */
    private void closeSocketOnceOurCloseIsOut() {
        boolean closeNow;
        synchronized (writeLock) {
            closeSocketAfterClose = true;
            closeNow = closeWritten;
        }
        if (closeNow) {
            getEndPoint().close();
        }
    }

    // ---- FrameSink: any thread

    @Override
    public void sendBinary(ByteBuffer frame, WriteCallback callback) {
        enqueue(encode(WebSocketProtocol.OPCODE_BINARY, frame), callback, false, false);
    }

    @Override
    public void sendPing(ByteBuffer payload) {
        enqueue(encode(WebSocketProtocol.OPCODE_PING, payload.duplicate()), null, false, false);
    }

    @Override
    public void close(int code, String reason) {
        writeClose(WebSocketProtocol.closePayload(code, reason));
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    private void writeClose(byte[] payload) {
        synchronized (writeLock) {
            if (closeQueued) {
                return;
            }
        }
        // A deadline, not an idle timeout: a client that keeps streaming after our close cannot
        // push it back (its data is read and dropped: the connection is closed). The idle timeout
        // stays as a backstop for a client that sends nothing.
        getEndPoint().setIdleTimeout(CLOSE_HANDSHAKE_TIMEOUT.toMillis());
        closeDeadline = timers.schedule(() -> getEndPoint().close(), CLOSE_HANDSHAKE_TIMEOUT);
        enqueue(encode(WebSocketProtocol.OPCODE_CLOSE, ByteBuffer.wrap(payload)), null, true, false);
    }

    /** One unmasked final frame in a pooled direct buffer, ready to write. */
    private RetainableByteBuffer encode(int opcode, ByteBuffer payload) {
        int length = payload.remaining();
        RetainableByteBuffer frame = pool.acquire(WebSocketProtocol.serverHeaderLength(length) + length, true);
        ByteBuffer bytes = frame.getByteBuffer();
        int position = BufferUtil.flipToFill(bytes);
        WebSocketProtocol.putServerHeader(bytes, opcode, length);
        bytes.put(payload);
        BufferUtil.flipToFlush(bytes, position);
        return frame;
    }

    /**
     * @param close the close frame: nothing is written after it
     * @param pong a pong: while one waits, a newer one takes its place (RFC 6455 5.5.3 lets an
     *        endpoint answer only the latest ping), so a client that pings and never reads holds
     *        at most one pong here
     */
    private void enqueue(RetainableByteBuffer frame, WriteCallback callback, boolean close, boolean pong) {
        if (corkedBy == Thread.currentThread()) {
            if (!close && cork(frame)) {
                // Accepted into this batch's write, as a socket accepts bytes into its buffer.
                if (callback != null) {
                    callback.succeeded();
                }
                return;
            }
            uncork();
        }
        Pending pending = new Pending(frame, callback, close);
        boolean refused = false;
        Pending replaced = null;
        synchronized (writeLock) {
            if (closeQueued || readState.get() == CLOSED) {
                refused = true;
            }
            else {
                closeQueued = close;
                if (writing != null) {
                    if (pong) {
                        replaced = waitingPong;
                        waitingPong = pending;
                    }
                    else {
                        if (waiting == null) {
                            waiting = new ArrayDeque<>(2);
                        }
                        waiting.addLast(pending);
                    }
                    pending = null;
                }
                else {
                    writing = pending;
                }
            }
        }
        if (replaced != null) {
            replaced.frame.release();
        }
        if (pending == null && !refused) {
            return;
        }
        if (refused) {
            frame.release();
            if (callback != null) {
                callback.failed(new ClosedChannelException());
            }
            return;
        }
        getEndPoint().write(written, frame.getByteBuffer());
    }

    /**
     * Adds a frame to this batch's write when the writer is free (or already held for the batch)
     * and the batch stays under {@link #MAX_CORKED_BYTES}. Reading thread only.
     */
    private boolean cork(RetainableByteBuffer frame) {
        int length = frame.remaining();
        if (corkedBytes + length > MAX_CORKED_BYTES) {
            return false;
        }
        synchronized (writeLock) {
            if (closeQueued || readState.get() == CLOSED || (writing != null && writing != CORKED)) {
                return false;
            }
            writing = CORKED;
        }
        if (corked == null) {
            corked = new ArrayDeque<>(4);
        }
        corked.addLast(frame);
        corkedBytes += length;
        return true;
    }

    /** Writes what this batch corked, as one buffer, and frees the writer for the frames behind it. Reading thread only. */
    private void uncork() {
        ArrayDeque<RetainableByteBuffer> frames = corked;
        if (frames == null || frames.isEmpty()) {
            return;
        }
        RetainableByteBuffer joined;
        if (frames.size() == 1) {
            joined = frames.pollFirst();
        }
        else {
            joined = pool.acquire(corkedBytes, true);
            ByteBuffer bytes = joined.getByteBuffer();
            int position = BufferUtil.flipToFill(bytes);
            for (RetainableByteBuffer frame; (frame = frames.pollFirst()) != null; ) {
                bytes.put(frame.getByteBuffer());
                frame.release();
            }
            BufferUtil.flipToFlush(bytes, position);
        }
        corkedBytes = 0;
        Pending pending = new Pending(joined, null, false);
        synchronized (writeLock) {
            if (writing != CORKED) {
                // The socket failed meanwhile (failWrites let go of the writer): nothing is written.
                pending = null;
            }
            else {
                writing = pending;
            }
        }
        if (pending == null) {
            joined.release();
            return;
        }
        getEndPoint().write(written, joined.getByteBuffer());
    }

    private void onWritten() {
        Pending done;
        Pending next;
        boolean closeSocket = false;
        synchronized (writeLock) {
            done = writing;
            if (done == null) {
                return; // failWrites let go of the writer meanwhile: the socket is closing
            }
            next = waitingPong;
            if (next != null) {
                waitingPong = null;
            }
            else if (waiting != null) {
                next = waiting.pollFirst();
            }
            writing = next;
            if (done.close) {
                closeWritten = true;
                closeSocket = closeSocketAfterClose;
            }
        }
        done.frame.release();
        if (done.callback != null) {
            done.callback.succeeded();
        }
        if (closeSocket) {
            getEndPoint().close();
        }
        else if (next != null) {
            getEndPoint().write(written, next.frame.getByteBuffer());
        }
    }

    private void onWriteFailed(Throwable cause) {
        log.debug("Write to {} failed: {}", remoteAddress, cause.toString());
        failWrites(cause);
        getEndPoint().close(cause);
    }

    /** Fails the frame being written and every waiting one; nothing more is written. */
    private void failWrites(Throwable cause) {
        ArrayDeque<Pending> failed = new ArrayDeque<>();
        synchronized (writeLock) {
            closeQueued = true;
            if (writing != null && writing != CORKED) {
                failed.add(writing);
            }
            writing = null;
            if (waitingPong != null) {
                failed.add(waitingPong);
                waitingPong = null;
            }
            if (waiting != null) {
                failed.addAll(waiting);
                waiting.clear();
            }
        }
        for (Pending pending : failed) {
            pending.frame.release();
            if (pending.callback != null) {
                pending.callback.failed(cause);
            }
        }
    }

    // ---- Jetty's end of the socket

    @Override
    public boolean onIdleExpired(TimeoutException timeout) {
        boolean closing;
        synchronized (writeLock) {
            closing = closeQueued;
        }
        if (closing) {
            // The client never answered our close frame: close the socket now.
            getEndPoint().close(timeout);
            return false;
        }
        // A backstop only: the connection's own pings notice a silent client first.
        session.close(CloseCodes.GOING_AWAY, "Idle timeout");
        return false;
    }

    @Override
    public void onFillInterestedFailed(Throwable cause) {
        getEndPoint().close(cause);
    }

    @Override
    public void onClose(Throwable cause) {
        super.onClose(cause);
        closeDeadline.cancel();
        int previous = readState.getAndSet(CLOSED);
        if (previous == CLOSED) {
            return;
        }
        if (previous == IDLE) {
            releaseInput();
        }
        try {
            // Nothing after a close frame or a violation: the handlers heard of it then, with its code.
            session.closed(CloseStatus.NO_CLOSE_FRAME);
        }
        finally {
            failWrites(cause != null ? cause : new ClosedChannelException());
        }
    }
}
