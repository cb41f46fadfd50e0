package io.aphelion.server.config;


import io.aphelion.server.transport.TcpNoDelayListener;

import org.eclipse.jetty.server.ServerConnector;

import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * Socket options the spec asks for: TCP_NODELAY (Nagle off) on every accepted socket, set
 * explicitly and read back from the kernel; and an accept queue as deep as the OS allows.
 * Imported by {@link AphelionAutoConfiguration} (not component-scanned).
 */
class JettyTransportConfiguration {

    /**
     * Backlog asked of {@code listen(2)}; the kernel caps it at {@code net.core.somaxconn}, so the OS
     * setting decides. Jetty's default (0) becomes the JDK's 50: a burst of connects overflows it
     * and each dropped SYN costs the client a one-second retransmit (docs/BENCHMARKS.md).
     */
    static final int ACCEPT_QUEUE_SIZE = 65535;

    @Bean
    TcpNoDelayListener aphelionTcpNoDelay() {
        return new TcpNoDelayListener();
    }

    @Bean
    JettyServerCustomizer aphelionJettySocketCustomizer(TcpNoDelayListener tcpNoDelay) {
        return server -> {
            for (var connector : server.getConnectors()) {
                if (connector instanceof ServerConnector serverConnector) {
                    serverConnector.setAcceptedTcpNoDelay(true);
                    serverConnector.setAcceptQueueSize(ACCEPT_QUEUE_SIZE);
                    serverConnector.addEventListener(tcpNoDelay);
                }
            }
        };
    }
}
