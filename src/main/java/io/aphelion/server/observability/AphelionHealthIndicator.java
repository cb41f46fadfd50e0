package io.aphelion.server.observability;

import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.transport.OpenWebSockets;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health of the Aphelion endpoint, shown as {@code aphelion} and part of the readiness group:
 * UP while it accepts websockets, OUT_OF_SERVICE from the moment graceful shutdown begins (as
 * Spring Boot's own readiness state does), so load balancers stop sending clients at once.
 * Details: whether it accepts connections, live sessions, open connections and websockets.
 *
 * <p>Thread-safe: reads counters only.
 */
public final class AphelionHealthIndicator implements HealthIndicator {

    private final SessionRegistry sessions;
    private final OpenWebSockets webSockets;

    public AphelionHealthIndicator(SessionRegistry sessions, OpenWebSockets webSockets) {
        this.sessions = sessions;
        this.webSockets = webSockets;
    }

    @Override
    public Health health() {
        boolean accepting = webSockets.isAdmitting();
        Health.Builder health = accepting ? Health.up() : Health.outOfService();
        return health.withDetail("acceptingConnections", accepting)
                .withDetail("liveSessions", sessions.liveSessions())
                .withDetail("openConnections", sessions.openConnections())
                .withDetail("openWebSockets", webSockets.count())
                .build();
    }
}
