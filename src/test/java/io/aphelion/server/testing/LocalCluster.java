package io.aphelion.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A whole cluster on loopback, as separate processes: one {@code redis-server}
 * ({@code scripts/redis.sh}), {@code n} server nodes run from the packaged jar with
 * {@code java -jar} and the cluster flags, and HAProxy ({@code scripts/haproxy.sh}, the shipped
 * {@code deploy/proxies/haproxy/aphelion-cluster.cfg}: round robin, readiness checks every
 * {@value #CHECK_INTERVAL_MILLIS} ms) in front of them. Tests talk to the balancer
 * ({@link #balancerPort()}) or to one node directly ({@link #nodePort(int)}), and kill, stop or
 * restart nodes.
 *
 * <p>Why processes and not several Spring contexts in the test JVM: the cluster's promises are about
 * nodes that die (SIGKILL), drain (SIGTERM) and reach each other over sockets; only separate JVMs
 * behave like that. Every process writes to a file of its own under
 * {@code <build dir>/cluster-logs/<start time>/} (never a pipe, which a chatty process could fill);
 * {@link #logTails(int)} puts their ends into assertion messages.
 *
 * <p>A missing {@code redis-server} or {@code haproxy} (and no root to install it) fails
 * {@link #start}: {@code .ci/run} installs both. Each node is started exactly with
 * {@code --aphelion.cluster.enabled=true --aphelion.cluster.secret=S
 * --aphelion.cluster.advertise-address=127.0.0.1:P --spring.data.redis.host=127.0.0.1
 * --spring.data.redis.port=R --server.port=P --server.address=127.0.0.1}, then the caller's extra
 * arguments. {@link #close()} stops everything it started (HAProxy, the nodes, Redis) and waits
 * for each process to exit; a JVM shutdown hook does the same if the test JVM exits first.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class LocalCluster implements AutoCloseable {

    /** HAProxy's health-check period here: a killed or restarted node leaves or joins the rotation in well under a second. */
    public static final int CHECK_INTERVAL_MILLIS = 200;

    /** Start-up of one node JVM on a loaded 2-core machine, several starting at once. */
    private static final Duration NODE_START = Duration.ofSeconds(180);

    /** Start-up of Redis or HAProxy, or their installation with apt-get. */
    private static final Duration TOOL_START = Duration.ofSeconds(120);

    /** What a SIGTERM'd process may take to exit before it is killed. */
    private static final Duration STOP = Duration.ofSeconds(60);

    private final Path logDir;
    private final String secret;
    private final List<String> nodeArgs;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Thread shutdownHook = new Thread(this::destroyAll, "local-cluster-shutdown");

    private int redisPort;
    private Process redis;
    private final List<Node> nodes = new ArrayList<>();
    private int balancerPort;
    private Process haproxy;

    /** One node: its fixed port (kept across restarts), its current process, its log. */
    private static final class Node {

        final int index;
        final int port;
        final Path log;
        /** The running process, or null while stopped or killed. */
        Process process;
        int starts;

        Node(int index, int port, Path log) {
            this.index = index;
            this.port = port;
            this.log = log;
        }
    }

    private LocalCluster(Path logDir, String secret, List<String> nodeArgs) {
        this.logDir = logDir;
        this.secret = secret;
        this.nodeArgs = List.copyOf(nodeArgs);
    }

    /**
     * Starts Redis, {@code nodeCount} nodes (in parallel, then waits for each one's readiness) and
     * HAProxy over them; returns once all are up.
     *
     * @param extraNodeArgs more arguments for every node (e.g. {@code --aphelion.session.expiry=2m})
     * @throws AssertionError with the log tails when something does not come up
     */
    public static LocalCluster start(int nodeCount, String... extraNodeArgs) throws IOException {
        if (nodeCount < 1) {
            throw new IllegalArgumentException("nodeCount must be positive: " + nodeCount);
        }
        Path logDir = BuildOutput.buildDir().resolve("cluster-logs")
                .resolve(Instant.now().toString().replace(':', '-'));
        Files.createDirectories(logDir);
        byte[] key = new byte[24];
        new SecureRandom().nextBytes(key);
        LocalCluster cluster = new LocalCluster(logDir, Base64.getUrlEncoder().withoutPadding().encodeToString(key),
                List.of(extraNodeArgs));
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            cluster.startRedis();
            for (int i = 0; i < nodeCount; i++) {
                cluster.nodes.add(new Node(i, ServerProcesses.freePort(), logDir.resolve("node" + (i + 1) + ".log")));
            }
            for (Node node : cluster.nodes) {
                cluster.launch(node);
            }
            for (Node node : cluster.nodes) {
                cluster.awaitReady(node);
            }
            cluster.startHaproxy();
            return cluster;
        }
        catch (IOException | RuntimeException | Error ex) {
            String tails = cluster.logTails(60);
            cluster.close();
            if (ex instanceof AssertionError) {
                throw new AssertionError(ex.getMessage() + "\n" + tails, ex);
            }
            throw new AssertionError("Local cluster did not start: " + ex + "\n" + tails, ex);
        }
    }

    // --- what tests use ---------------------------------------------------------------------------

    /** HAProxy's port on 127.0.0.1: clients connect to {@code ws://127.0.0.1:<port>/aphelion}. */
    public int balancerPort() {
        return balancerPort;
    }

    /** Node {@code i}'s own port on 127.0.0.1 (0-based; kept across restarts). */
    public int nodePort(int i) {
        return node(i).port;
    }

    public int nodeCount() {
        return nodes.size();
    }

    public int redisPort() {
        return redisPort;
    }

    /** The {@code aphelion.cluster.secret} every node was started with. */
    public String secret() {
        return secret;
    }

    /** Whether node {@code i}'s process is running. */
    public boolean isRunning(int i) {
        Process process = node(i).process;
        return process != null && process.isAlive();
    }

    /** SIGKILL to node {@code i} (a crash: no shutdown of any kind); returns once it is gone. */
    public void kill(int i) {
        Node node = node(i);
        if (node.process != null) {
            node.process.destroyForcibly();
            awaitExit(node.process, "node" + (i + 1));
            node.process = null;
        }
    }

    /**
     * SIGTERM to node {@code i} (an orchestrator's stop: graceful shutdown) and waits for the
     * process to exit; returns its exit code.
     *
     * @throws AssertionError when it does not exit within {@link #STOP} (it is killed then)
     */
    public int stop(int i) {
        Node node = node(i);
        if (node.process == null) {
            throw new IllegalStateException("node" + (i + 1) + " is not running");
        }
        Process process = node.process;
        process.destroy();
        boolean exited = waitFor(process, STOP);
        node.process = null;
        if (!exited) {
            process.destroyForcibly();
            awaitExit(process, "node" + (i + 1));
            throw new AssertionError("node" + (i + 1) + " did not exit within " + STOP + " of SIGTERM\n" + logTail(node.log, 60));
        }
        return process.exitValue();
    }

    /**
     * Starts node {@code i} again on its port (stopping it first with SIGTERM if it runs) and waits
     * for its readiness and for HAProxy to have probed it at least twice since.
     */
    public void restart(int i) throws IOException {
        if (isRunning(i)) {
            stop(i);
        }
        Node node = node(i);
        launch(node);
        awaitReady(node);
        awaitRotation();
    }

    /** Starts again every node that a test killed or stopped, so that the next test finds them all. */
    public void restartStopped() throws IOException {
        for (Node node : nodes) {
            if (!isRunning(node.index)) {
                launch(node);
            }
        }
        for (Node node : nodes) {
            awaitReady(node);
        }
        awaitRotation();
    }

    /** Node {@code i}'s log (every start of it, each after a marker line). */
    public Path nodeLog(int i) {
        return node(i).log;
    }

    /** The last {@code lines} lines of every log (Redis, each node, HAProxy), for assertion messages. */
    public String logTails(int lines) {
        StringBuilder text = new StringBuilder("--- local cluster logs in ").append(logDir).append(" ---\n");
        try (var files = Files.list(logDir)) {
            for (Path log : files.filter(file -> file.toString().endsWith(".log")).sorted().toList()) {
                text.append("--- ").append(log.getFileName()).append(" (last ").append(lines).append(" lines) ---\n")
                        .append(logTail(log, lines));
            }
        }
        catch (IOException ex) {
            text.append("(cannot list ").append(logDir).append(": ").append(ex).append(")\n");
        }
        return text.toString();
    }

    /** Stops HAProxy, every node (SIGTERM, then SIGKILL past the bound) and Redis, and waits for each to exit. */
    @Override
    public void close() {
        destroyAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        catch (IllegalStateException ex) {
            // The JVM is already shutting down: the hook runs (or ran) destroyAll.
        }
    }

    // --- processes ----------------------------------------------------------------------------------

    private Node node(int i) {
        Objects.checkIndex(i, nodes.size());
        return nodes.get(i);
    }

    private void startRedis() throws IOException {
        redisPort = ServerProcesses.freePort();
        Path log = logDir.resolve("redis.log");
        redis = script("scripts/redis.sh", log, List.of(String.valueOf(redisPort)), List.of()).start();
        awaitOrFail("redis-server on port " + redisPort, redis, log, TOOL_START, () -> ServerProcesses.accepts(redisPort),
                "redis-server must be installed (apt-get install redis-server; .ci/run does it)");
    }

    private void startHaproxy() throws IOException {
        balancerPort = ServerProcesses.freePort();
        Path log = logDir.resolve("haproxy.log");
        List<String> args = new ArrayList<>();
        args.add(String.valueOf(balancerPort));
        nodes.forEach(node -> args.add(String.valueOf(node.port)));
        haproxy = script("scripts/haproxy.sh", log, args, List.of(
                "APHELION_HAPROXY_CHECK_INTER=" + CHECK_INTERVAL_MILLIS + "ms",
                "APHELION_HAPROXY_FALL=1", "APHELION_HAPROXY_RISE=1")).start();
        awaitOrFail("HAProxy on port " + balancerPort, haproxy, log, TOOL_START,
                () -> ServerProcesses.isReady(http, balancerPort),
                "haproxy must be installed (apt-get install haproxy; .ci/run does it)");
        awaitRotation();
    }

    private ProcessBuilder script(String script, Path log, List<String> args, List<String> env) {
        List<String> command = new ArrayList<>();
        command.add("bash");
        command.add(BuildOutput.projectDir().resolve(script).toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).directory(BuildOutput.projectDir().toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("TMPDIR", logDir.toString());
        for (String entry : env) {
            int eq = entry.indexOf('=');
            builder.environment().put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        return builder;
    }

    /** The exact command of a node: the contract's cluster flags first, then the caller's extra arguments. */
    private List<String> nodeCommand(Node node) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", BuildOutput.runnableJar().toString(),
                "--aphelion.cluster.enabled=true",
                "--aphelion.cluster.secret=" + secret,
                "--aphelion.cluster.advertise-address=127.0.0.1:" + node.port,
                "--spring.data.redis.host=127.0.0.1",
                "--spring.data.redis.port=" + redisPort,
                "--server.port=" + node.port,
                "--server.address=127.0.0.1"));
        command.addAll(nodeArgs);
        return command;
    }

    private void launch(Node node) throws IOException {
        node.starts++;
        Files.writeString(node.log, "=== start " + node.starts + " of node" + (node.index + 1) + " on port " + node.port
                + " at " + Instant.now() + " ===\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        node.process = new ProcessBuilder(nodeCommand(node)).directory(logDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log.toFile())).start();
    }

    private void awaitReady(Node node) {
        Process process = node.process;
        awaitOrFail("node" + (node.index + 1) + " on port " + node.port + " (GET /actuator/health/readiness = 200)",
                process, node.log, NODE_START, () -> ServerProcesses.isReady(http, node.port),
                "a node is ready once it is up and reaches Redis on port " + redisPort);
    }

    /** Waits for HAProxy to have probed every node a few times, so that every running node is in the rotation. */
    private void awaitRotation() {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4L * CHECK_INTERVAL_MILLIS);
        org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(4L * CHECK_INTERVAL_MILLIS))
                .atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() >= until);
    }

    private static void awaitOrFail(String what, Process process, Path log, Duration bound, BooleanSupplier up,
            String hint) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!up.getAsBoolean()) {
            if (!process.isAlive()) {
                throw new AssertionError(what + " did not start: its process exited with " + process.exitValue()
                        + "; " + hint + "\n--- " + log.getFileName() + " ---\n" + logTail(log, 80));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " not up within " + bound + "; " + hint + "\n--- " + log.getFileName()
                        + " ---\n" + logTail(log, 80));
            }
            waitFor(process, Duration.ofMillis(200));
        }
    }

    private synchronized void destroyAll() {
        if (haproxy != null) {
            terminate(haproxy, "haproxy");
            haproxy = null;
        }
        for (Node node : nodes) {
            if (node.process != null) {
                terminate(node.process, "node" + (node.index + 1));
                node.process = null;
            }
        }
        if (redis != null) {
            terminate(redis, "redis-server");
            redis = null;
        }
    }

    /** SIGTERM to a process and its children, SIGKILL past {@link #STOP}; waits until all are gone. */
    private static void terminate(Process process, String what) {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        if (!waitFor(process, STOP)) {
            process.destroyForcibly();
        }
        awaitExit(process, what);
        for (ProcessHandle child : children) {
            try {
                child.onExit().get(STOP.toSeconds(), TimeUnit.SECONDS);
            }
            catch (Exception ex) {
                child.destroyForcibly();
            }
        }
    }

    private static void awaitExit(Process process, String what) {
        if (!waitFor(process, STOP)) {
            throw new IllegalStateException(what + " (pid " + process.pid() + ") did not exit after SIGKILL");
        }
    }

    private static boolean waitFor(Process process, Duration bound) {
        try {
            return process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    private static String logTail(Path log, int lines) {
        try {
            if (!Files.exists(log)) {
                return "(no " + log.getFileName() + ")\n";
            }
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        }
        catch (IOException | UncheckedIOException ex) {
            return "(cannot read " + log + ": " + ex + ")\n";
        }
    }
}
