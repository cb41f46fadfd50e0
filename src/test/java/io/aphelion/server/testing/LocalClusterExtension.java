package io.aphelion.server.testing;

import java.util.List;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * One {@link LocalCluster} per test class, for the cluster integration tests: started before the
 * class's first test ({@code beforeAll}), closed after its last ({@code afterAll}); before each
 * test it starts again any node an earlier test killed or stopped, and a failing test's message
 * gets the tails of every process's log appended (the cluster's side of the story is in those).
 *
 * <pre>
 * &#64;RegisterExtension
 * static final LocalClusterExtension CLUSTER = new LocalClusterExtension(3, "--aphelion.session.expiry=2m");
 * ... CLUSTER.cluster().balancerPort() ...
 * </pre>
 */
public final class LocalClusterExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, TestExecutionExceptionHandler {

    /** Log lines of each process appended to a failure. */
    private static final int TAIL_LINES = 40;

    private final int nodes;
    private final List<String> nodeArgs;
    private LocalCluster cluster;

    /**
     * @param nodes how many nodes
     * @param nodeArgs extra arguments for every node, after the cluster flags
     */
    public LocalClusterExtension(int nodes, String... nodeArgs) {
        this.nodes = nodes;
        this.nodeArgs = List.of(nodeArgs);
    }

    /** The running cluster (between {@code beforeAll} and {@code afterAll}). */
    public LocalCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException("The local cluster runs only while the test class does");
        }
        return cluster;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        cluster = LocalCluster.start(nodes, nodeArgs.toArray(String[]::new));
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        cluster().restartStopped();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        if (cluster == null) {
            throw failure;
        }
        AssertionError withLogs = new AssertionError(failure.getMessage() + "\n" + cluster.logTails(TAIL_LINES), failure);
        withLogs.setStackTrace(failure.getStackTrace());
        throw withLogs;
    }
}
