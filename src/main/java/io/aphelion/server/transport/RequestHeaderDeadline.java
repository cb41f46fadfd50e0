package io.aphelion.server.transport;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Bounds the HTTP part of the way from TCP accept to a complete init packet (docs/PRODUCT.md
 * "Before the init packet"): a request whose headers trickle in one byte at a time (slowloris) is
 * closed when {@code aphelion.websocket.init-timeout} runs out. Jetty's idle timeout restarts with
 * every byte, so such a request would otherwise hold its socket for as long as it likes.
 *
 * <ul>
 * <li>The first request's headers must be in within init-timeout of the accept.</li>
 * <li>On a kept-alive connection, a later request whose headers were already arriving at one
 * check (they come every init-timeout) and are still not complete at the next is closed; a
 * connection that sits between requests, or whose request is being handled or is sending its
 * body, is left to Jetty's idle timeout.</li>
 * <li>Once upgraded, the websocket's own init timer counts the rest from the same accept.</li>
 * </ul>
 *
 * <p>A {@link Connection.Listener} on each connector, for both engines. Thread-safe: Jetty calls
 * it on any thread; one timer per HTTP connection, every init-timeout, while it is open. The
 * timer reads the parser's state without the reading thread's help: a racy read, which is why a
 * later request is only closed after two checks in a row found its headers arriving.
 */
public final class RequestHeaderDeadline implements Connection.Listener {

    private final Scheduler scheduler;
    private final long timeoutMillis;
    /** Timers of the HTTP connections that are checked, removed when they close or are upgraded. */
    private final ConcurrentHashMap<Connection, Scheduler.Task> running = new ConcurrentHashMap<>();
    private final AtomicLong closed = new AtomicLong();

    public RequestHeaderDeadline(Scheduler scheduler, Duration timeout) {
        this.scheduler = scheduler;
        this.timeoutMillis = timeout.toMillis();
    }

    @Override
    public void onOpened(Connection connection) {
        if (!(connection instanceof HttpConnection http)) {
            return;
        }
        long left = timeoutMillis - (System.currentTimeMillis() - connection.getEndPoint().getCreatedTimeStamp());
        arm(http, -1, false, Math.max(0, left));
    }

    @Override
    public void onClosed(Connection connection) {
        Scheduler.Task task = running.remove(connection);
        if (task != null) {
            task.cancel();
        }
    }

    /**
     * @param requestsBefore the requests whose headers were complete at the last check, or -1 at the accept
     * @param headersArriving whether a request's headers were arriving, incomplete, at the last check
     */
    private void arm(HttpConnection connection, long requestsBefore, boolean headersArriving, long delayMillis) {
        running.put(connection, scheduler.schedule(() -> check(connection, requestsBefore, headersArriving), delayMillis,
                TimeUnit.MILLISECONDS));
        if (!connection.getEndPoint().isOpen()) {
            running.remove(connection); // closed while we armed: onClosed may have come first
        }
    }

    private void check(HttpConnection connection, long requestsBefore, boolean headersArrivingBefore) {
        EndPoint endPoint = connection.getEndPoint();
        if (!endPoint.isOpen() || endPoint.getConnection() != connection) {
            running.remove(connection);
            return;
        }
        long requests = connection.getMessagesIn();
        boolean headersArriving = connection.getParser().inHeaderState() && !connection.getParser().isStart();
        boolean firstNotIn = requestsBefore < 0 && requests == 0;
        boolean laterTrickling = headersArrivingBefore && headersArriving && requests == requestsBefore;
        if (firstNotIn || laterTrickling) {
            running.remove(connection);
            closed.incrementAndGet();
            endPoint.close();
            return;
        }
        arm(connection, requests, headersArriving, timeoutMillis);
    }

    /** Sockets closed because a request's headers did not arrive in time. */
    public long closed() {
        return closed.get();
    }

    /** Connections checked now (for tests). */
    int running() {
        return running.size();
    }
}
