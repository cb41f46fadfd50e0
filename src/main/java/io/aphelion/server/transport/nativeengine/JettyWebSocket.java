package io.aphelion.server.transport.nativeengine;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.FrameSink;
import io.aphelion.server.support.Scheduler;
import io.aphelion.server.transport.rfc6455.FrameReader;
import io.aphelion.server.transport.rfc6455.WebSocketProtocol;
import io.aphelion.wire.CloseCodes;
import io.aphelion.server.transport.WritePump;
import io.aphelion.server.transport.AphelionWebSocketHandler;

import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.BufferUtil;
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
 * <p><b>Writes</b> are pulled ({@link FrameSink}): one write at a time through a {@link WritePump},
 * each gathered into one pooled direct buffer of up to {@link #MAX_WRITE_BYTES}: the latest pong
 * and ping waiting, then the connection's frames, encoded straight into the buffer (header, ack
 * byte and payload: one copy), then our close frame. Nothing waits here but those three control
 * frames; data waits in the connection until the socket can take it.
 * <b>Coalescing:</b> while the reading thread handles one batch of received bytes, a wake on that
 * thread (the answers to what it read) is deferred to the end of the batch, as Netty's
 * flush-on-read-complete does: eight pings read together cost one pull and one write, not eight.
 * Nothing is reported written before it is: the frames stay queued until that pull.
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
 * the {@link WritePump.Output} methods run on the thread holding the writer; the close and control
 * state is guarded by {@link #pump}'s monitor.
 */
final class JettyWebSocket extends AbstractConnection.NonBlocking
        implements org.eclipse.jetty.io.Connection.UpgradeTo, FrameSink, FrameSink.Writer, FrameReader.Handler,
        WritePump.Output<RetainableByteBuffer> {

    private static final Logger log = LoggerFactory.getLogger(JettyWebSocket.class);

    /**
     * Most bytes gathered into one write (a frame larger than that goes alone); what does not fit
     * waits for the next write.
     */
    static final int MAX_WRITE_BYTES = 16 * 1024;

    /** Messages an application's handler sent ({@link NativeWebSocketSession#sendMessage}) that may wait at once. */
    static final int MAX_WAITING_MESSAGES = 64;

    /** Room every write keeps for a close frame (2-byte header, at most 125 bytes of payload). */
    private static final int CLOSE_FRAME_ROOM = 2 + 125;

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
    /** The node relaying this websocket (cluster mode), or null. */
    private final String relayedBy;
    /** The one write loop; its monitor guards the control and close state below. */
    private final WritePump<RetainableByteBuffer> pump;
    /** Where frames are pulled from: the connection, once bound. */
    private volatile Source source;
    /** This websocket as Spring's handlers see it; holds the connection once the handler made it. */
    private final NativeWebSocketSession session;

    // Reading thread only (whoever moved readState to READING, or onClose once nobody reads).
    /** Bytes received and not read yet (an incomplete frame), or null while there are none. */
    private RetainableByteBuffer input;
    /**
     * {@link #IDLE}, {@link #READING} (a thread is in {@link #onFillable} and owns {@link #input}) or
     * {@link #CLOSED} (the socket closed; the handlers have been told): whoever
     * finds the socket closed and nobody reading returns the input buffer. Changed through
     * {@link #READ_STATE} (a field, not an atomic object of its own per websocket).
     */
    private volatile int readState = IDLE;
    private static final int IDLE = 0;
    private static final int READING = 1;
    private static final int CLOSED = 2;
    private static final VarHandle READ_STATE;

    static {
        try {
            READ_STATE = MethodHandles.lookup().findVarHandle(JettyWebSocket.class, "readState", int.class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    // Coalescing: what the reading thread answers while it reads one batch leaves in one write.
    /** The thread reading a batch now, while its wakes are deferred; null otherwise. */
    private volatile Thread corkedBy;
    /** A wake came during the batch: wake the pump when it ends. Reading thread only. */
    private boolean wakeAfterBatch;

    // Control and close state, guarded by pump's monitor.
    /** The latest pong waiting (RFC 6455 5.5.3 lets an endpoint answer only the latest ping); at most one. */
    private byte[] pendingPong;
    /** The ping waiting, at most one. */
    private byte[] pendingPing;
    /** Whole binary messages an application's handler sent, oldest first; null while none ever waited. */
    private java.util.ArrayDeque<byte[]> pendingMessages;
    /** Our close frame's payload while it waits for the writer. */
    private byte[] pendingClose;
    /** A close frame was queued: nothing but it is written from now on. */
    private boolean closeQueued;
    /** The close frame was gathered into a write: nothing is gathered after it. */
    private boolean closeTaken;
    /** The close frame we queued was written. */
    private boolean closeWritten;
    /** The client's close frame arrived (or it broke the protocol): close the socket once ours is out. */
    private boolean closeSocketAfterClose;

    // Writer thread only (whoever holds the pump's writer).
    /** The write being gathered, in fill mode; null before its first frame. */
    private RetainableByteBuffer gathering;
    /** The write in flight carries our close frame. */
    private boolean closeInFlight;

    /**
     * @param endpoint what every websocket of the endpoint shares: its handler, limits and idle timeout
     * @param remoteAddress the client's address, after any trusted proxy
     * @param uri the upgrade request's path and query, as {@link NativeWebSocketSession#getUri()} returns it
     */
    JettyWebSocket(EndPoint endPoint, Executor executor, ByteBufferPool pool, Scheduler timers, NativeEndpoint endpoint,
            InetSocketAddress remoteAddress, URI uri) {
        this(endPoint, executor, pool, timers, endpoint, remoteAddress, uri, null);
    }

    /**
     * @param relayedBy the cluster node that relays this websocket for its client (its upgrade's
     *        relay credentials verified), or null for a client's own
     */
    JettyWebSocket(EndPoint endPoint, Executor executor, ByteBufferPool pool, Scheduler timers, NativeEndpoint endpoint,
            InetSocketAddress remoteAddress, URI uri, String relayedBy) {
        super(endPoint, executor);
        this.relayedBy = relayedBy;
        this.pump = new WritePump<>(this, timers, endpoint.sendTimeLimit());
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
        if (!READ_STATE.compareAndSet(this, IDLE, READING)) {
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
            writeDeferred();
        }
        if (!READ_STATE.compareAndSet(this, READING, IDLE)) {
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
                // Answers to one buffer's worth leave together: a client that pipelines more than
                // that has its answers written as it goes, not piled up against the send buffer.
                writeDeferred();
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

    /** Writes what the reading thread's wakes deferred (the answers to what it read), if any. Reading thread only. */
    private void writeDeferred() {
        if (wakeAfterBatch) {
            wakeAfterBatch = false;
            pump.wake();
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
        queueControl(payload, true);
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
        writeDeferred(); // answers to what came before the close frame still leave, ahead of our echo
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
        synchronized (pump) {
            closeSocketAfterClose = true;
            closeNow = closeWritten;
        }
        if (closeNow) {
            getEndPoint().close();
        }
    }

    // ---- FrameSink: any thread

    @Override
    public void bind(Source source) {
        this.source = source;
    }

    @Override
    public void wake() {
        if (corkedBy == Thread.currentThread()) {
            wakeAfterBatch = true; // answers to this batch leave together when it ends
            return;
        }
        pump.wake();
    }

    @Override
    public void flush() {
        if (corkedBy == Thread.currentThread()) {
            wakeAfterBatch = false;
        }
        pump.wake();
    }

    @Override
    public void sendPing(ByteBuffer payload) {
        queueControl(payload, false);
    }

    /**
     * Queues a pong or a ping for the next write, its payload copied at once (the caller's buffer
     * may be a view of the input, or reused): a newer one replaces one that still waits (RFC 6455
     * 5.5.3 lets an endpoint answer only the latest ping). Nothing after our close frame.
     */
    private void queueControl(ByteBuffer payload, boolean pong) {
        byte[] copy = new byte[payload.remaining()];
        payload.get(payload.position(), copy);
        synchronized (pump) {
            if (closeQueued) {
                return;
            }
            if (pong) {
                pendingPong = copy;
            }
            else {
                pendingPing = copy;
            }
        }
        wake();
    }

    /**
     * Queues a whole binary message from outside the session's delivery (an application's
     * decorator): no ack byte, never re-sent. It leaves with the next write.
     *
     * @return false when closing, or when {@link #MAX_WAITING_MESSAGES} already wait
     */
    boolean sendMessage(byte[] payload) {
        synchronized (pump) {
            if (closeQueued || readState == CLOSED) {
                return false;
            }
            if (pendingMessages == null) {
                pendingMessages = new java.util.ArrayDeque<>(4);
            }
            if (pendingMessages.size() >= MAX_WAITING_MESSAGES) {
                return false;
            }
            pendingMessages.addLast(payload);
        }
        wake();
        return true;
    }

    @Override
    public void close(int code, String reason) {
        writeClose(WebSocketProtocol.closePayload(code, reason));
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    @Override
    public String relayedBy() {
        return relayedBy;
    }

    private void writeClose(byte[] payload) {
        synchronized (pump) {
            if (closeQueued) {
                return;
            }
            closeQueued = true;
            pendingClose = payload;
        }
        // A deadline, not an idle timeout: a client that keeps streaming after our close cannot
        // push it back (its data is read and dropped: the connection is closed). The idle timeout
        // stays as a backstop for a client that sends nothing.
        getEndPoint().setIdleTimeout(CLOSE_HANDSHAKE_TIMEOUT.toMillis());
        closeDeadline = timers.schedule(() -> getEndPoint().close(), CLOSE_HANDSHAKE_TIMEOUT);
        wake();
    }

    // ---- FrameSink.Writer: the connection's pull encodes into the write being gathered

    @Override
    public boolean fits(int length) {
        return gathering == null
                || gathering.getByteBuffer().remaining() - CLOSE_FRAME_ROOM >= WebSocketProtocol.serverHeaderLength(length) + length;
    }

    @Override
    public void binary(int ack, byte[] payload) {
        put(WebSocketProtocol.OPCODE_BINARY, ack, payload);
    }

    /** Appends one unmasked final frame to the write being gathered: header, the ack byte unless {@link #NO_ACK}, payload. */
    private void put(int opcode, int ack, byte[] payload) {
        int length = payload.length + (ack == NO_ACK ? 0 : 1);
        if (gathering == null) {
            int frame = WebSocketProtocol.serverHeaderLength(length) + length;
            gathering = pool.acquire(Math.max(MAX_WRITE_BYTES, frame + CLOSE_FRAME_ROOM), true);
            BufferUtil.flipToFill(gathering.getByteBuffer());
        }
        ByteBuffer bytes = gathering.getByteBuffer();
        WebSocketProtocol.putServerHeader(bytes, opcode, length);
        if (ack != NO_ACK) {
            bytes.put((byte) ack);
        }
        bytes.put(payload);
    }

    // ---- WritePump.Output: the thread holding the writer

    @Override
    public RetainableByteBuffer gather() {
        byte[] pong;
        byte[] ping;
        byte[] close;
        synchronized (pump) {
            if (closeTaken || readState == CLOSED) {
                return null;
            }
            pong = pendingPong;
            ping = pendingPing;
            close = pendingClose;
            pendingPong = null;
            pendingPing = null;
            pendingClose = null;
            closeTaken = close != null;
        }
        if (pong != null) {
            put(WebSocketProtocol.OPCODE_PONG, NO_ACK, pong);
        }
        if (ping != null) {
            put(WebSocketProtocol.OPCODE_PING, NO_ACK, ping);
        }
        takeMessages();
        Source source = this.source;
        if (source != null) {
            source.pull(this);
        }
        if (close != null) {
            put(WebSocketProtocol.OPCODE_CLOSE, NO_ACK, close);
        }
        closeInFlight = close != null;
        RetainableByteBuffer out = gathering;
        gathering = null;
        if (out != null) {
            BufferUtil.flipToFlush(out.getByteBuffer(), 0);
        }
        return out;
    }

    /** Moves the handlers' waiting messages into the write being gathered, while they fit. Writer thread only. */
    private void takeMessages() {
        while (true) {
            byte[] message;
            synchronized (pump) {
                message = pendingMessages == null ? null : pendingMessages.peekFirst();
                if (message == null || !fits(message.length)) {
                    return;
                }
                pendingMessages.pollFirst();
            }
            put(WebSocketProtocol.OPCODE_BINARY, NO_ACK, message);
        }
    }

    @Override
    public void write(RetainableByteBuffer buffer, WritePump.Done done) {
        getEndPoint().write(done, buffer.getByteBuffer());
    }

    @Override
    public boolean written(RetainableByteBuffer buffer) {
        buffer.release();
        if (!closeInFlight) {
            return true;
        }
        boolean closeSocket;
        synchronized (pump) {
            closeWritten = true;
            closeSocket = closeSocketAfterClose;
        }
        if (closeSocket) {
            getEndPoint().close();
        }
        return false;
    }

    @Override
    public void failed(RetainableByteBuffer buffer, Throwable cause) {
        buffer.release();
        log.debug("Write to {} failed: {}", remoteAddress, cause.toString());
        getEndPoint().close(cause);
    }

    @Override
    public void sendTimedOut(Duration limit) {
        log.debug("Dropping the websocket from {}: a write made no progress for {} ms (aphelion.websocket.send-time-limit)",
                remoteAddress, limit.toMillis());
        getEndPoint().close(new TimeoutException("No write progress within " + limit.toMillis() + " ms"));
    }

    // ---- Jetty's end of the socket

    @Override
    public boolean onIdleExpired(TimeoutException timeout) {
        boolean closing;
        synchronized (pump) {
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
        int previous = (int) READ_STATE.getAndSet(this, CLOSED);
        if (previous == CLOSED) {
            return;
        }
        if (previous == IDLE) {
            releaseInput();
        }
        pump.stop();
        // Nothing after a close frame or a violation: the handlers heard of it then, with its code.
        session.closed(CloseStatus.NO_CLOSE_FRAME);
    }
}
