package io.aphelion.server.config;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * Socket options the spec asks for: TCP_NODELAY (Nagle off) on every accepted socket, set
 * explicitly and read back from the kernel.
 * Imported by {@link AphelionAutoConfiguration} (not component-scanned).
 */
class JettyTransportConfiguration {

    @Bean
    TcpNoDelay aphelionTcpNoDelay() {
        return new TcpNoDelay();
    }

    @Bean
    JettyServerCustomizer aphelionJettySocketCustomizer(TcpNoDelay tcpNoDelay) {
        return server -> {
            for (var connector : server.getConnectors()) {
                if (connector instanceof ServerConnector serverConnector) {
                    serverConnector.setAcceptedTcpNoDelay(true);
                    serverConnector.addEventListener(tcpNoDelay);
                }
            }
        };
    }

    /**
     * Sets TCP_NODELAY on each accepted socket as it opens and counts what the kernel reports
     * back. Thread-safe.
     */
    public static final class TcpNoDelay implements Connection.Listener {

        private static final Logger log = LoggerFactory.getLogger(TcpNoDelay.class);

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
}
