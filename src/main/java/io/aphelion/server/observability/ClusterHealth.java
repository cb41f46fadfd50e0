package io.aphelion.server.observability;

import java.util.Map;

/**
 * What the {@code aphelion} health indicator shows of the cluster (cluster mode): whether this
 * node reaches Redis, where the cluster's state lives. A node that does not is OUT_OF_SERVICE, so
 * its readiness sends balancers elsewhere until Redis is back.
 */
public interface ClusterHealth {

    /** Whether the node's last heartbeat reached Redis. */
    boolean reachable();

    /** Details for the health endpoint (node id, other nodes, last heartbeat). */
    Map<String, Object> details();
}
