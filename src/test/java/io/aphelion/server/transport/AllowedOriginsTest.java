package io.aphelion.server.transport;

import io.aphelion.server.testing.RawWebSocket;
import io.aphelion.server.testing.ServerTestSupport;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code aphelion.websocket.allowed-origins} restricts browsers; native clients send no Origin and pass. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "aphelion.websocket.allowed-origins=https://*.example.com,https://game.test")
class AllowedOriginsTest extends ServerTestSupport {

    @Test
    void listedOriginsAndPatternsAreUpgraded() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(port, "/aphelion", "Origin: https://play.example.com")) {
            assertThat(ws).isNotNull();
        }
        try (RawWebSocket ws = RawWebSocket.connect(port, "/aphelion", "Origin: https://game.test")) {
            assertThat(ws).isNotNull();
        }
    }

    @Test
    void otherBrowserOriginsAreRefused() {
        assertThatThrownBy(() -> RawWebSocket.connect(port, "/aphelion", "Origin: https://evil.test"))
                .hasMessageContaining("403");
    }

    @Test
    void theServersOwnOriginIsUpgradedThoughNotListed() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(port, "/aphelion", "Origin: http://127.0.0.1:" + port)) {
            assertThat(ws).isNotNull();
        }
    }

    @Test
    void clientsWithoutAnOriginHeaderAreUpgraded() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(port, "/aphelion")) {
            assertThat(ws).isNotNull();
        }
    }
}
