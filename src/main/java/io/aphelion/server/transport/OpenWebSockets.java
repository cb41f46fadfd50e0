package io.aphelion.server.transport;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The websockets open on the Aphelion endpoint, whether past their init packet or not, and whether
 * new ones are admitted. Graceful shutdown stops admitting, closes what is left and waits for
 * the closes to complete; health reports it. A context that is stopped and started again (as
 * the test framework pauses cached contexts) admits again.
 *
 * <p>Both engines ({@code aphelion.websocket.engine}) report their websockets here through the
 * same {@link AdmissionWebSocketHandlerDecorator}, as the one-method {@link WebSocket} view (the
 * native engine's session is one itself), so shutdown needs to know neither.
 *
 * <p>Thread-safe. {@link #admitting} is a volatile flag;
 * {@link #open} is a concurrent set bounded by the container's connection limit;
 * {@link #emptied} is the monitor {@link #awaitClosed} waits on.
 */
public final class OpenWebSockets {

    private static final Logger log = LoggerFactory.getLogger(OpenWebSockets.class);

    /** The reason of the 1001 close sent to websockets at shutdown, and to those that arrive during it. */
    public static final String SHUTTING_DOWN_REASON = "Server shutting down";

    /** What shutdown needs of a websocket, whichever engine serves it. */
    public interface WebSocket {

        /** Sends a close frame with this code and reason, then closes; harmless when already closing. */
        void close(int code, String reason);
    }

    /** Every websocket between its upgrade and its close, refused ones included. */
    private final Set<WebSocket> open = ConcurrentHashMap.newKeySet();

    /** Whether new websockets are served; false from {@link #stopAdmitting()} to {@link #startAdmitting()}. */
    private volatile boolean admitting = true;

    /** Notified when {@link #open} becomes empty. */
    private final Object emptied = new Object();

    /**
     * A websocket was upgraded: tracks it until {@link #closed} and tells whether to serve it.
     * A websocket added while admitting stops is seen by a later {@link #closeAll}, so none
     * slips through.
     *
     * @return false when the server no longer admits websockets: the caller closes it
     */
    boolean admit(WebSocket webSocket) {
        open.add(webSocket);
        return admitting;
    }

    /** A websocket closed (its close handshake finished or the socket dropped). */
    void closed(WebSocket webSocket) {
        if (open.remove(webSocket) && open.isEmpty()) {
            synchronized (emptied) {
                emptied.notifyAll();
            }
        }
    }

    /** Stops admitting websockets: from now on each new one is closed at once. */
    public void stopAdmitting() {
        admitting = false;
    }

    /** Admits websockets (again). */
    public void startAdmitting() {
        admitting = true;
    }

    /** Whether new websockets are served. */
    public boolean isAdmitting() {
        return admitting;
    }

    /** Websockets open now, past their init packet or not. */
    public int count() {
        return open.size();
    }

    /**
     * Sends a close frame on every open websocket. Harmless on one that is closing already: the
     * container sends one close frame at most.
     */
    public void closeAll(int code, String reason) {
        for (WebSocket webSocket : open) {
            try {
                webSocket.close(code, reason);
            }
            catch (RuntimeException ex) {
                log.debug("Closing websocket {} failed: {}", webSocket, ex.toString());
            }
        }
    }

    /**
     * Waits until every websocket has closed, or the timeout passed.
     *
     * @return whether every websocket closed in time
     */
    public boolean awaitClosed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (emptied) {
            while (!open.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(emptied, left);
            }
        }
        return true;
    }
}
