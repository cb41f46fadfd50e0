package io.aphelion.server.transport;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.io.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets TCP_NODELAY on each accepted socket as it opens and counts what the kernel reports
 * back. Thread-safe.
 */
public final class TcpNoDelayListener implements Connection.Listener {

    private static final Logger log = LoggerFactory.getLogger(TcpNoDelayListener.class);

    private final AtomicLong confirmed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    @Override
    public void onOpened(Connection connection) {
        if (connection.getEndPoint().getTransport() instanceof SocketChannel channel) {
            try {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (channel.getOption(StandardSocketOptions.TCP_NODELAY)) {
                    confirmed.incrementAndGet();
                    return;
                }
            }
            catch (IOException ex) {
                log.debug("Could not set TCP_NODELAY on {}", channel, ex);
            }
            failed.incrementAndGet();
        }
    }

    /** Accepted sockets on which the kernel reported TCP_NODELAY on. */
    public long confirmed() {
        return confirmed.get();
    }

    /** Accepted sockets on which TCP_NODELAY could not be set. */
    public long failed() {
        return failed.get();
    }
}
