package io.aphelion.server.testing;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The harness itself, apart from cluster behaviour: {@link LocalCluster} starts Redis, two nodes
 * and HAProxy, kills, stops and restarts a node, and leaves no process behind when closed. It
 * passes whether or not the nodes form a cluster, so that a failing {@code ClusterIT} points at
 * the server, not at its harness.
 */
class LocalClusterIT {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void startsKillsStopsRestartsAndLeavesNoProcessBehind() throws Exception {
        List<ProcessHandle> started;
        try (LocalCluster cluster = LocalCluster.start(2)) {
            started = ProcessHandle.current().descendants().toList();
            assertThat(started).as("redis-server, 2 nodes, haproxy").hasSizeGreaterThanOrEqualTo(4);
            assertThat(ServerProcesses.isReady(http, cluster.balancerPort())).isTrue();
            assertThat(ServerProcesses.isReady(http, cluster.nodePort(0))).isTrue();
            assertThat(ServerProcesses.isReady(http, cluster.nodePort(1))).isTrue();

            cluster.kill(0);
            assertThat(cluster.isRunning(0)).isFalse();
            assertThat(ServerProcesses.isReady(http, cluster.nodePort(0))).isFalse();
            // HAProxy takes node 1 out of the rotation: every probe through it is answered by node 2.
            await().atMost(Duration.ofSeconds(30)).until(() -> ServerProcesses.isReady(http, cluster.balancerPort()));
            for (int i = 0; i < 6; i++) {
                assertThat(ServerProcesses.isReady(http, cluster.balancerPort())).as("probe %d through HAProxy", i).isTrue();
            }

            cluster.restart(0);
            assertThat(ServerProcesses.isReady(http, cluster.nodePort(0))).isTrue();
            assertThat(cluster.stop(1)).as("exit code of a node after SIGTERM").isEqualTo(143);
            cluster.restartStopped();
            assertThat(cluster.isRunning(1)).isTrue();
            assertThat(cluster.logTails(5)).contains("node1.log", "node2.log", "redis.log", "haproxy.log");
            started = ProcessHandle.current().descendants().toList();
        }
        assertThat(started).as("processes the cluster started").allMatch(process -> !process.isAlive());
        assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList())
                .as("processes still running under the test JVM").isEmpty();
    }
}
