/**
 * Cluster mode's integration tests: {@link io.aphelion.server.cluster.ClusterIT} runs against a
 * {@link io.aphelion.server.testing.LocalCluster} (Redis, three node processes from the packaged
 * jar, HAProxy in front), one per test class, through
 * {@link io.aphelion.server.testing.LocalClusterExtension}.
 */
package io.aphelion.server.cluster;
