package io.aphelion.server.config;

import java.util.Arrays;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.web.server.context.WebServerApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/** The native engine reads on Jetty's selector threads: one per core unless the operator says otherwise. */
class JettySelectorsTest {

    static int[] selectorCounts(WebServerApplicationContext context) {
        Server server = ((JettyWebServer) context.getWebServer()).getServer();
        return Arrays.stream(server.getConnectors())
                .filter(ServerConnector.class::isInstance)
                .mapToInt(connector -> ((ServerConnector) connector).getSelectorManager().getSelectorCount())
                .toArray();
    }

    @Nested
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
    class ByDefault {

        @Autowired
        WebServerApplicationContext context;

        @Test
        void oneSelectorPerCore() {
            assertThat(selectorCounts(context)).containsOnly(Runtime.getRuntime().availableProcessors());
        }
    }

    @Nested
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = "server.jetty.threads.selectors=3")
    class WhenConfigured {

        @Autowired
        WebServerApplicationContext context;

        @Test
        void bootsPropertyWins() {
            assertThat(selectorCounts(context)).containsOnly(3);
        }
    }
}
