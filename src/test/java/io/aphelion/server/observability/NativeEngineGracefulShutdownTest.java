package io.aphelion.server.observability;

import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

/** {@link GracefulShutdownTest} against the native engine (Jetty's own upgrade in front of the servlet context). */
@TestPropertySource(properties = "aphelion.websocket.engine=native")
@Import(GracefulShutdownTest.GameConfiguration.class)
class NativeEngineGracefulShutdownTest extends GracefulShutdownTest {
}
