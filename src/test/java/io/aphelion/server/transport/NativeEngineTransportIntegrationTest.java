package io.aphelion.server.transport;

import org.springframework.test.context.TestPropertySource;

/** {@link TransportIntegrationTest} against the native engine (Jetty's own upgrade in front of the servlet context). */
@TestPropertySource(properties = "aphelion.websocket.engine=native")
class NativeEngineTransportIntegrationTest extends TransportIntegrationTest {
}
