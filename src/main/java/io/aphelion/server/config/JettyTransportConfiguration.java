package io.aphelion.server.config;


import io.aphelion.server.transport.EarlyEofHttpConnectionFactory;
import io.aphelion.server.transport.RequestHeaderDeadline;
import io.aphelion.server.transport.TcpNoDelayListener;

import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;

import org.springframework.boot.jetty.ConfigurableJettyWebServerFactory;
import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Socket options the spec asks for: TCP_NODELAY (Nagle off) on every accepted socket, set
 * explicitly and read back from the kernel; an accept queue as deep as the OS allows; and one
 * selector thread per core.
 * Imported by {@link AphelionAutoConfiguration} (not component-scanned).
 */
class JettyTransportConfiguration {

    /**
     * Backlog asked of {@code listen(2)}; the kernel caps it at {@code net.core.somaxconn}, so the OS
     * setting decides. Jetty's default (0) becomes the JDK's 50: a burst of connects overflows it
     * and each dropped SYN costs the client a one-second retransmit (docs/BENCHMARKS.md).
     */
    static final int ACCEPT_QUEUE_SIZE = 65535;

    /** Boot's property for the number of selector threads; when it is set, it wins. */
    static final String SELECTORS_PROPERTY = "server.jetty.threads.selectors";

    /**
     * One selector thread per core unless {@code server.jetty.threads.selectors} says otherwise.
     * The native engine reads, handles and answers frames on the selector threads (as Netty does
     * on its event loops), so Jetty's default of one per two cores leaves half the cores out of
     * the read path (measured in docs/BENCHMARKS.md).
     */
    @Bean
    WebServerFactoryCustomizer<ConfigurableJettyWebServerFactory> aphelionJettySelectors(Environment environment) {
        return factory -> {
            if (!environment.containsProperty(SELECTORS_PROPERTY)) {
                factory.setSelectors(Runtime.getRuntime().availableProcessors());
            }
        };
    }

    /**
     * Puts {@link EarlyEofHttpConnectionFactory} in place of the connector's HTTP/1.1 factory, with
     * the same configuration, so a burst of abandoned requests does not start a thread each.
     */
    static void useEarlyEofHttpConnections(ServerConnector connector) {
        HttpConnectionFactory jetty = connector.getConnectionFactory(HttpConnectionFactory.class);
        if (jetty == null || jetty instanceof EarlyEofHttpConnectionFactory) {
            return;
        }
        boolean wasDefault = jetty.getProtocol().equals(connector.getDefaultConnectionFactory().getProtocol());
        EarlyEofHttpConnectionFactory ours = new EarlyEofHttpConnectionFactory(jetty.getHttpConfiguration());
        ours.setInputBufferSize(jetty.getInputBufferSize());
        ours.setUseInputDirectByteBuffers(jetty.isUseInputDirectByteBuffers());
        ours.setUseOutputDirectByteBuffers(jetty.isUseOutputDirectByteBuffers());
        ours.setTransferEncodingChunkMaxLength(jetty.getTransferEncodingChunkMaxLength());
        connector.removeConnectionFactory(jetty.getProtocol());
        connector.addFirstConnectionFactory(ours);
        if (wasDefault) {
            connector.setDefaultProtocol(ours.getProtocol());
        }
    }

    @Bean
    TcpNoDelayListener aphelionTcpNoDelay() {
        return new TcpNoDelayListener();
    }

    @Bean
    JettyServerCustomizer aphelionJettySocketCustomizer(TcpNoDelayListener tcpNoDelay, AphelionProperties properties) {
        return server -> {
            for (var connector : server.getConnectors()) {
                if (connector instanceof ServerConnector serverConnector) {
                    useEarlyEofHttpConnections(serverConnector);
                    serverConnector.setAcceptedTcpNoDelay(true);
                    serverConnector.setAcceptQueueSize(ACCEPT_QUEUE_SIZE);
                    serverConnector.addEventListener(tcpNoDelay);
                    // Slowloris: the first request's headers must be in within init-timeout of the accept.
                    serverConnector.addEventListener(new RequestHeaderDeadline(serverConnector.getScheduler(),
                            properties.getWebsocket().getInitTimeout()));
                }
            }
        };
    }
}
