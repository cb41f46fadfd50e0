package io.aphelion.server.observability;

import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

/** {@link GracefulShutdownTest} against the servlet engine (Spring's BinaryWebSocketHandler through the servlet container). */
@TestPropertySource(properties = "aphelion.websocket.engine=servlet")
@Import(GracefulShutdownTest.GameConfiguration.class)
class ServletEngineGracefulShutdownTest extends GracefulShutdownTest {
}
