package io.aphelion.server.config;


import io.aphelion.server.transport.TcpNoDelayListener;

import org.eclipse.jetty.server.ServerConnector;

import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * Socket options the spec asks for: TCP_NODELAY (Nagle off) on every accepted socket, set
 * explicitly and read back from the kernel.
 * Imported by {@link AphelionAutoConfiguration} (not component-scanned).
 */
class JettyTransportConfiguration {

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
                    serverConnector.addEventListener(tcpNoDelay);
                }
            }
        };
    }
}
