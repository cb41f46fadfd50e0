package io.aphelion.server.cluster;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.Relay;
import io.aphelion.server.transport.RelayCredentials;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relay links: for a client's connection whose session another node owns, one websocket from this
 * node to the owner's Aphelion path, signed with the cluster's secret ({@link RelayCredentials}).
 * The owner sees an ordinary connection of the client (its address, its init packet, its frames)
 * and runs it as its own: acks, routing and re-sending stay the owner's, unchanged. This node
 * only carries frames, both ways, as they are; its keepalive and rate limit still guard the
 * client's side.
 *
 * <ul>
 * <li>Back pressure: the owner's frames are read {@link ClientConnection#RELAY_WINDOW} at a time
 * ahead of the client's socket; the client's frames wait here for the link, at most
 * {@value #MAX_FORWARD_BACKLOG} (past it the client is closed with 4105: the owner cannot keep up).</li>
 * <li>Closes: the owner's close code reaches the client as it is (1000 when the session ended,
 * 4100 when it is full, ...); the client's own close reaches the owner (1000 ends the session
 * there as here), a drop or a close by this node reaches it as a drop. A link that cannot be
 * opened within {@code relay-connect-timeout} closes the client with 4105; a link lost while
 * open (the owner went away) closes it with 1001, and the client comes back with its token.</li>
 * </ul>
 *
 * <p>Metrics: {@code aphelion.cluster.relays} (links open now) and
 * {@code aphelion.cluster.relays.opened} (links opened). Thread-safe.
 */
final class RelayLinks {

    private static final Logger log = LoggerFactory.getLogger(RelayLinks.class);

    /** Client frames that may wait for the link to the owner. */
    static final int MAX_FORWARD_BACKLOG = 1024;

    private final HttpClient http;
    private final RelayCredentials credentials;
    private final String path;
    private final Duration connectTimeout;
    private final AtomicInteger open = new AtomicInteger();
    private final Counter opened;

    /**
     * @param executor the threads that run the links' callbacks (the owner's frames, closes)
     * @param path the Aphelion websocket path (the same on every node)
     */
    RelayLinks(RelayCredentials credentials, String path, Duration connectTimeout, ExecutorService executor, MeterRegistry meters) {
        this.credentials = credentials;
        this.path = path;
        this.connectTimeout = connectTimeout;
        this.http = HttpClient.newBuilder().executor(executor).connectTimeout(connectTimeout).build();
        Gauge.builder("aphelion.cluster.relays", open, AtomicInteger::get)
                .description("Client connections this node relays to the node that owns their session, open now")
                .register(meters);
        this.opened = Counter.builder("aphelion.cluster.relays.opened")
                .description("Relay links this node started for client connections (opened or not: failures close the client with 4105)")
                .register(meters);
    }

    /** Opens the link for a client connection to its session's owner; the init packet goes first. */
    Relay open(ClusterNodes.Peer owner, InitPacket init, ClientConnection connection) {
        Link link = new Link(connection, owner);
        link.forward(ByteBuffer.wrap(init.encode()));
        opened.increment();
        open.incrementAndGet();
        http.newWebSocketBuilder()
                .connectTimeout(connectTimeout)
                .header(RelayCredentials.RELAY_HEADER, credentials.sign(connection.remoteAddress()))
                .header(RelayCredentials.CLIENT_HEADER, RelayCredentials.clientHeader(connection.remoteAddress()))
                .buildAsync(URI.create("ws://" + owner.address() + path), link)
                .whenComplete((webSocket, failure) -> {
                    if (failure != null) {
                        link.failedToOpen(failure);
                    }
                });
        return link;
    }

    /** One relayed connection: the client's connection here, the websocket to the owner. */
    private final class Link implements Relay, WebSocket.Listener {

        private final ClientConnection client;
        private final ClusterNodes.Peer owner;
        /** Guards everything below. */
        private final Object lock = new Object();
        private WebSocket webSocket;
        /** Client frames not yet handed to the link, oldest first. */
        private final ArrayDeque<ByteBuffer> backlog = new ArrayDeque<>();
        /** A send is in flight (the JDK's websocket takes one at a time). */
        private boolean sending;
        /** The client's close code to pass on once the backlog is sent; 0 for none. */
        private int closeAfterBacklog;
        private boolean closed;
        /** The owner's message being read, when it came in parts. */
        private ByteBuffer partial;

        Link(ClientConnection client, ClusterNodes.Peer owner) {
            this.client = client;
            this.owner = owner;
        }

        // ---- client to owner

        @Override
        public void forward(ByteBuffer frame) {
            ByteBuffer copy = ByteBuffer.allocate(frame.remaining());
            copy.put(frame.duplicate()).flip();
            boolean overflow;
            synchronized (lock) {
                if (closed) {
                    return;
                }
                overflow = backlog.size() >= MAX_FORWARD_BACKLOG;
                if (!overflow) {
                    backlog.addLast(copy);
                    sendNextLocked();
                }
            }
            if (overflow) {
                client.close(CloseCodes.CLUSTER_UNAVAILABLE, "The node that owns the session cannot keep up");
            }
        }

        private void sendNextLocked() {
            if (sending || webSocket == null || closed) {
                return;
            }
            ByteBuffer next = backlog.pollFirst();
            if (next != null) {
                sending = true;
                webSocket.sendBinary(next, true).whenComplete((ws, failure) -> sent(failure));
            }
            else if (closeAfterBacklog != 0) {
                int code = closeAfterBacklog;
                closeAfterBacklog = 0;
                closed = true;
                webSocket.sendClose(code, "").whenComplete((ws, failure) -> webSocket.abort());
                released();
            }
        }

        private void sent(Throwable failure) {
            if (failure != null) {
                lost(failure);
                return;
            }
            synchronized (lock) {
                sending = false;
                sendNextLocked();
            }
        }

        @Override
        public void clientClosed(int code, boolean byClient) {
            synchronized (lock) {
                if (closed) {
                    return;
                }
                if (byClient && (code == CloseCodes.NORMAL || (code >= 3000 && code <= 4999))) {
                    // The client's own close: passed on after what it sent before it.
                    closeAfterBacklog = code;
                    if (webSocket != null) {
                        sendNextLocked();
                    }
                    return;
                }
                closed = true;
                backlog.clear();
                if (webSocket != null) {
                    webSocket.abort(); // a drop, for the owner: the session waits to be resumed
                }
            }
            released();
        }

        private void released() {
            open.decrementAndGet();
        }

        // ---- owner to client

        @Override
        public void onOpen(WebSocket webSocket) {
            boolean abort;
            synchronized (lock) {
                this.webSocket = webSocket;
                abort = closed;
                if (!abort) {
                    sendNextLocked();
                }
            }
            if (abort) {
                webSocket.abort();
                return;
            }
            webSocket.request(ClientConnection.RELAY_WINDOW);
        }

        @Override
        public void pulled(int frames) {
            WebSocket ws;
            synchronized (lock) {
                ws = closed ? null : webSocket;
            }
            if (ws != null) {
                ws.request(frames);
            }
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            if (!last || partial != null) {
                ByteBuffer grown = ByteBuffer.allocate((partial == null ? 0 : partial.position()) + data.remaining());
                if (partial != null) {
                    grown.put(partial.flip());
                }
                partial = grown.put(data);
                if (!last) {
                    webSocket.request(1); // a part is not a frame for the client: read on to its end
                    return null;
                }
                data = partial.flip();
                partial = null;
            }
            byte[] frame = new byte[data.remaining()];
            data.get(frame);
            client.relayed(frame);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeHere();
            // The owner closed the client's connection (or echoed the client's close): the client hears its code.
            client.close(statusCode == CloseCodes.NO_STATUS ? CloseCodes.NORMAL : statusCode, reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            lost(error);
        }

        private void lost(Throwable failure) {
            if (closeHere()) {
                log.debug("Relay link to node {} ({}) lost: {}", owner.id(), owner.address(), failure.toString());
                client.close(CloseCodes.GOING_AWAY, "The node that owns the session went away");
            }
        }

        void failedToOpen(Throwable failure) {
            if (closeHere()) {
                log.warn("Relay link to node {} ({}) could not be opened: {}", owner.id(), owner.address(), failure.toString());
                client.close(CloseCodes.CLUSTER_UNAVAILABLE, "The node that owns the session cannot be reached");
            }
        }

        /** Marks the link closed from this side; true when it was open until now (then it no longer counts as open). */
        private boolean closeHere() {
            synchronized (lock) {
                if (closed) {
                    return false;
                }
                closed = true;
                backlog.clear();
            }
            released();
            return true;
        }
    }
}
