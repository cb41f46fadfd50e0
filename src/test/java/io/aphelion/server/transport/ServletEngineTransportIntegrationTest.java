package io.aphelion.server.transport;

import org.springframework.test.context.TestPropertySource;

/** {@link TransportIntegrationTest} against the servlet engine (Spring's BinaryWebSocketHandler through the servlet container). */
@TestPropertySource(properties = "aphelion.websocket.engine=servlet")
class ServletEngineTransportIntegrationTest extends TransportIntegrationTest {
}
