package io.aphelion.server.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The credentials of node-to-node relay links (cluster mode): a node that relays a client's
 * connection to the node owning its session opens an ordinary websocket upgrade on the Aphelion
 * path carrying two headers,
 * <pre>
 * Aphelion-Relay: &lt;node id&gt;;&lt;unix millis&gt;;&lt;nonce&gt;;&lt;mac&gt;
 * Aphelion-Relay-Client: &lt;client ip&gt;:&lt;client port&gt;
 * </pre>
 * where {@code mac} is the unpadded base64url HMAC-SHA256, keyed with
 * {@code aphelion.cluster.secret}, of {@code <node id>;<unix millis>;<nonce>;<Aphelion-Relay-Client>}.
 * Both engines {@link #verify} it: a request that carries {@code Aphelion-Relay} and does not
 * verify (no secret configured, malformed, a wrong MAC, more than {@link #MAX_SKEW_MILLIS} away
 * from this node's clock, or a nonce seen before) is refused with 403; a verified one becomes a
 * websocket whose client address is the relayed client's and which is never relayed again. A
 * request without the header is an ordinary client's.
 *
 * <p>The secret never travels; a captured header cannot be replayed (its nonce is remembered for
 * the skew window) and says nothing of other clients. The link itself is not encrypted: run the
 * nodes on a private network, or behind TLS between them. Thread-safe.
 */
public final class RelayCredentials {

    /** The relay header: who relays, when, a nonce, the MAC. */
    public static final String RELAY_HEADER = "Aphelion-Relay";

    /** The relayed client's address, {@code ip:port} ({@code [ip]:port} for IPv6), covered by the MAC. */
    public static final String CLIENT_HEADER = "Aphelion-Relay-Client";

    /** How far a relay header's time may be from this node's clock. */
    public static final long MAX_SKEW_MILLIS = 60_000;

    /** Refuses every relay header: a node outside a cluster (no secret). */
    public static final RelayCredentials NONE = new RelayCredentials(null, null, System::currentTimeMillis);

    private static final String ALGORITHM = "HmacSHA256";
    private static final int NONCE_BYTES = 12;
    /** Nonces remembered at most; past it the oldest window's are dropped early (a replay then still needs a valid MAC within the skew). */
    private static final int MAX_REMEMBERED_NONCES = 200_000;

    private final String nodeId;
    private final SecretKeySpec key;
    private final LongSupplier clock;
    private final SecureRandom random = new SecureRandom();
    /** Nonces verified within the skew window, with the time they carried. */
    private final Map<String, Long> seen = new ConcurrentHashMap<>();

    /**
     * @param nodeId this node's id, which its own headers name
     * @param secret the cluster's shared secret (null: refuse every relay header)
     * @param clock wall-clock milliseconds
     */
    public RelayCredentials(String nodeId, String secret, LongSupplier clock) {
        this.nodeId = nodeId;
        this.key = secret == null || secret.isEmpty() ? null : new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
        this.clock = clock;
    }

    /** A verified relay: the node that relays, and the client it relays for. */
    public record Verified(String nodeId, InetSocketAddress client) {
    }

    /** The {@link #RELAY_HEADER} value for a link relaying {@code client}, signed now; {@link #CLIENT_HEADER} is {@link #clientHeader}. */
    public String sign(InetSocketAddress client) {
        if (key == null) {
            throw new IllegalStateException("No cluster secret: relay links cannot be signed");
        }
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        String signed = nodeId + ";" + clock.getAsLong() + ";" + Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
        return signed + ";" + mac(signed, clientHeader(client));
    }

    /** The {@link #CLIENT_HEADER} value for a client address. */
    public static String clientHeader(InetSocketAddress client) {
        InetAddress address = client.getAddress();
        String host = address == null ? client.getHostString() : address.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + client.getPort();
    }

    /**
     * Checks an upgrade's relay headers.
     *
     * @param relay the {@link #RELAY_HEADER} value (non-null: the request claims to be a relay)
     * @param client the {@link #CLIENT_HEADER} value, or null
     * @return the verified relay, or null when the request must be refused
     */
    public Verified verify(String relay, String client) {
        if (key == null || client == null) {
            return null;
        }
        String[] parts = relay.split(";", -1);
        if (parts.length != 4 || parts[0].isEmpty() || parts[2].isEmpty()) {
            return null;
        }
        long sentAt;
        try {
            sentAt = Long.parseLong(parts[1]);
        }
        catch (NumberFormatException ex) {
            return null;
        }
        long now = clock.getAsLong();
        if (Math.abs(now - sentAt) > MAX_SKEW_MILLIS) {
            return null;
        }
        String signed = parts[0] + ";" + parts[1] + ";" + parts[2];
        byte[] expected = mac(signed, client).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, parts[3].getBytes(StandardCharsets.US_ASCII))) {
            return null;
        }
        InetSocketAddress address = parseClient(client);
        if (address == null || !remember(parts[2], sentAt, now)) {
            return null;
        }
        return new Verified(parts[0], address);
    }

    /** Records a nonce; false when it was seen within the window (a replay). */
    private boolean remember(String nonce, long sentAt, long now) {
        if (seen.size() > MAX_REMEMBERED_NONCES / 2) {
            for (Iterator<Long> times = seen.values().iterator(); times.hasNext(); ) {
                if (Math.abs(now - times.next()) > MAX_SKEW_MILLIS || seen.size() > MAX_REMEMBERED_NONCES) {
                    times.remove();
                }
            }
        }
        return seen.putIfAbsent(nonce, sentAt) == null;
    }

    private String mac(String signed, String client) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            mac.update(signed.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) ';');
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(client.getBytes(StandardCharsets.UTF_8)));
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException(ALGORITHM + " is not available", ex);
        }
    }

    /** {@code ip:port} or {@code [ip]:port} as {@link #clientHeader} writes it, IP literals only (no DNS); null otherwise. */
    static InetSocketAddress parseClient(String text) {
        int colon = text.lastIndexOf(':');
        InetAddress address = TrustedProxies.parseLiteral(text); // drops the port
        if (address == null || colon <= 0 || (address.getAddress().length > 4 && !text.startsWith("["))) {
            return null;
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            return port < 0 || port > 65_535 ? null : new InetSocketAddress(address, port);
        }
        catch (NumberFormatException ex) {
            return null;
        }
    }
}
