package io.aphelion.server.observability;

import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.transport.OpenWebSockets;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health of the Aphelion endpoint, shown as {@code aphelion} and part of the readiness group:
 * UP while it accepts websockets, OUT_OF_SERVICE from the moment graceful shutdown begins (as
 * Spring Boot's own readiness state does), so load balancers stop sending clients at once; in
 * cluster mode also while the node cannot reach Redis (with the cluster's details).
 * Details: whether it accepts connections, live sessions, open connections and websockets.
 *
 * <p>Thread-safe: reads counters only.
 */
public final class AphelionHealthIndicator implements HealthIndicator {

    private final SessionRegistry sessions;
    private final OpenWebSockets webSockets;
    /** The cluster's state, in cluster mode; null on a single node. */
    private final ClusterHealth cluster;

    public AphelionHealthIndicator(SessionRegistry sessions, OpenWebSockets webSockets) {
        this(sessions, webSockets, null);
    }

    /** @param cluster the cluster's state (cluster mode: OUT_OF_SERVICE while Redis is out of reach), or null */
    public AphelionHealthIndicator(SessionRegistry sessions, OpenWebSockets webSockets, ClusterHealth cluster) {
        this.sessions = sessions;
        this.webSockets = webSockets;
        this.cluster = cluster;
    }

    @Override
    public Health health() {
        boolean accepting = webSockets.isAdmitting();
        boolean clusterReachable = cluster == null || cluster.reachable();
        Health.Builder health = accepting && clusterReachable ? Health.up() : Health.outOfService();
        health.withDetail("acceptingConnections", accepting)
                .withDetail("liveSessions", sessions.liveSessions())
                .withDetail("openConnections", sessions.openConnections())
                .withDetail("openWebSockets", webSockets.count());
        if (cluster != null) {
            health.withDetail("cluster", cluster.details());
        }
        return health.build();
    }
}
