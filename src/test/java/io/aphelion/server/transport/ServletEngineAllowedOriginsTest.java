package io.aphelion.server.transport;

import org.springframework.test.context.TestPropertySource;

/** {@link AllowedOriginsTest} against the servlet engine (Spring's BinaryWebSocketHandler through the servlet container). */
@TestPropertySource(properties = "aphelion.websocket.engine=servlet")
class ServletEngineAllowedOriginsTest extends AllowedOriginsTest {
}
