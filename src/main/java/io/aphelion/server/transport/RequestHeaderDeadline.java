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
 * Bounds the HTTP part of the way from TCP accept to a complete init packet (docs/PRODUCT.md "Before
 * the init packet"): a socket whose first HTTP request has not completed its headers within
 * {@code aphelion.websocket.init-timeout} of the accept is closed. Jetty's idle timeout restarts
 * with every byte, so a request that trickles in one byte at a time (slowloris) would otherwise
 * hold its socket for as long as it likes. Once the headers of a first request are in, this
 * deadline is done with the socket: an upgraded websocket's own init timer counts the rest from
 * the same accept, and a keep-alive HTTP connection is left to Jetty's idle timeout.
 *
 * <p>A {@link Connection.Listener} on each connector, for both engines. Thread-safe: Jetty calls
 * it on any thread; one timer per socket while its first request is incomplete.
 */
public final class RequestHeaderDeadline implements Connection.Listener {

    private final Scheduler scheduler;
    private final long timeoutMillis;
    /** Timers of the HTTP connections whose deadline is running, removed when they close or are upgraded. */
    private final ConcurrentHashMap<Connection, Scheduler.Task> running = new ConcurrentHashMap<>();
    private final AtomicLong closed = new AtomicLong();

    public RequestHeaderDeadline(Scheduler scheduler, Duration timeout) {
        this.scheduler = scheduler;
        this.timeoutMillis = timeout.toMillis();
    }

    @Override
    public void onOpened(Connection connection) {
        if (!(connection instanceof HttpConnection)) {
            return;
        }
        long left = timeoutMillis - (System.currentTimeMillis() - connection.getEndPoint().getCreatedTimeStamp());
        running.put(connection, scheduler.schedule(() -> expired(connection), Math.max(0, left), TimeUnit.MILLISECONDS));
    }

    @Override
    public void onClosed(Connection connection) {
        Scheduler.Task task = running.remove(connection);
        if (task != null) {
            task.cancel();
        }
    }

    private void expired(Connection connection) {
        running.remove(connection);
        EndPoint endPoint = connection.getEndPoint();
        if (endPoint.isOpen() && endPoint.getConnection() == connection && connection.getMessagesIn() == 0) {
            closed.incrementAndGet();
            endPoint.close();
        }
    }

    /** Sockets closed because their first request's headers did not complete in time. */
    public long closed() {
        return closed.get();
    }

    /** Deadlines running now (for tests). */
    int running() {
        return running.size();
    }
}
