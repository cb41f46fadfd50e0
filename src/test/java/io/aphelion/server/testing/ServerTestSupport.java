package io.aphelion.server.testing;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.wire.SessionToken;

import org.junit.jupiter.api.AfterEach;

import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Base of integration tests against the real server on a random port
 * ({@code @SpringBootTest(webEnvironment = RANDOM_PORT)} on the subclass): clients over real
 * sockets, closed after each test.
 */
public abstract class ServerTestSupport {

    @LocalServerPort
    protected int port;

    private final java.util.List<AphelionClient> clients = new java.util.ArrayList<>();

    protected URI uri() {
        return URI.create("ws://127.0.0.1:" + port + "/aphelion");
    }

    /** A client for a protocol, version 1, acking as the protocol asks. */
    protected AphelionClient client(int protocol) {
        return client(AphelionClient.builder(uri()).protocol(protocol).version(1));
    }

    protected AphelionClient client(AphelionClient.Builder builder) {
        AphelionClient client = builder.build();
        clients.add(client);
        return client;
    }

    /** Connects (new session) and waits for the handshake. */
    protected static AphelionConnection connect(AphelionClient client, AphelionConnection.Listener listener) {
        return join(client.connect(listener));
    }

    /** Connects with a token and waits for the handshake. */
    protected static AphelionConnection connect(AphelionClient client, SessionToken token,
            AphelionConnection.Listener listener) {
        return join(client.connect(token, listener));
    }

    protected static <T> T join(java.util.concurrent.CompletableFuture<T> future) {
        try {
            return future.get(15, TimeUnit.SECONDS);
        }
        catch (java.util.concurrent.ExecutionException ex) {
            throw new AssertionError(ex.getCause());
        }
        catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    /** Waits for a connection to close and returns how. */
    protected static AphelionConnection.CloseStatus closeStatus(AphelionConnection connection) {
        return join(connection.closeFuture());
    }

    protected static final Duration WAIT = Duration.ofSeconds(10);

    @AfterEach
    void closeClients() {
        clients.forEach(AphelionClient::close);
        clients.clear();
    }
}
