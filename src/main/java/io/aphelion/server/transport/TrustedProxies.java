package io.aphelion.server.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxies whose {@code X-Forwarded-For} header is believed: a list of addresses and CIDR
 * blocks ({@code 127.0.0.1}, {@code 10.0.0.0/8}, {@code ::1}, {@code fd00::/8}).
 *
 * <p>The client address is the right-most entry of {@code X-Forwarded-For} that is not itself a
 * trusted proxy: every trusted hop appends the address it received the request from, so entries
 * to the left of the first untrusted one may be forged by the client and are ignored.
 *
 * <p>Only IP literals are parsed, never host names: nothing here ever queries DNS. Immutable and
 * thread-safe.
 */
public final class TrustedProxies {

    private static final Logger log = LoggerFactory.getLogger(TrustedProxies.class);

    /**
     * The de-facto header of proxies (Varnish, nginx, HAProxy): {@code client, proxy1, proxy2}. Both
     * engines pass its values to {@link #clientSocketAddress}.
     */
    public static final String X_FORWARDED_FOR = "X-Forwarded-For";

    /** Trusts nobody: every client address is the socket's. */
    public static final TrustedProxies NONE = new TrustedProxies(List.of());

    private static final int IPV4_BYTES = 4;

    private final List<Block> blocks;

    private TrustedProxies(List<Block> blocks) {
        this.blocks = List.copyOf(blocks);
    }

    /**
     * Parses addresses and CIDR blocks.
     *
     * @throws IllegalArgumentException naming the first entry that is neither
     */
    public static TrustedProxies parse(List<String> entries) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : entries) {
            blocks.add(Block.parse(entry));
        }
        return blocks.isEmpty() ? NONE : new TrustedProxies(blocks);
    }

    /** Whether no proxy is trusted. */
    public boolean isEmpty() {
        return blocks.isEmpty();
    }

    /** Whether {@code address} is a trusted proxy. */
    public boolean isTrusted(InetAddress address) {
        byte[] bytes = address.getAddress();
        for (Block block : blocks) {
            if (block.contains(bytes)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client behind {@code peer}: when {@code peer} is trusted, the right-most entry of
     * {@code forwardedFor} that is not trusted (or the left-most one when all are); else
     * {@code peer}. An entry that is not an IP literal ("unknown", a host name) stops the walk:
     * the client is then unknown and {@code peer} is returned.
     *
     * @param forwardedFor the values of every {@code X-Forwarded-For} header, in order
     */
    public InetAddress clientAddress(InetAddress peer, List<String> forwardedFor) {
        if (!isTrusted(peer) || forwardedFor == null || forwardedFor.isEmpty()) {
            return peer;
        }
        List<String> hops = new ArrayList<>();
        for (String value : forwardedFor) {
            for (String hop : value.split(",")) {
                if (!hop.isBlank()) {
                    hops.add(hop.trim());
                }
            }
        }
        InetAddress client = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = parseLiteral(hops.get(i));
            if (hop == null) {
                return peer;
            }
            client = hop;
            if (!isTrusted(hop)) {
                break;
            }
        }
        return client;
    }

    /**
     * The client's socket address for an upgrade from {@code peer}: {@code peer} itself, or the
     * client a trusted proxy forwarded, with port 0 (the header carries no port).
     *
     * @param forwardedFor the values of every {@code X-Forwarded-For} header, in order
     * @return {@code peer} (the same instance) when nothing was forwarded by a trusted proxy
     */
    public InetSocketAddress clientSocketAddress(InetSocketAddress peer, List<String> forwardedFor) {
        if (isEmpty() || peer.getAddress() == null) {
            return peer;
        }
        InetAddress client = clientAddress(peer.getAddress(), forwardedFor);
        if (client.equals(peer.getAddress())) {
            return peer;
        }
        log.debug("Upgrade from {} forwarded by trusted proxy {}", client.getHostAddress(), peer);
        return new InetSocketAddress(client, 0);
    }

    /**
     * An IP literal as found in {@code X-Forwarded-For}: {@code 192.0.2.1}, {@code 192.0.2.1:4711},
     * {@code 2001:db8::1} or {@code [2001:db8::1]:4711}; the port is dropped.
     *
     * @return the address, or null when {@code text} is not an IP literal
     */
    static InetAddress parseLiteral(String text) {
        String host = text.trim();
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            if (end < 0) {
                return null;
            }
            return parseIpv6(host.substring(1, end));
        }
        int colon = host.indexOf(':');
        if (colon >= 0 && colon == host.lastIndexOf(':')) {
            host = host.substring(0, colon); // IPv4 with a port
        }
        return host.indexOf(':') >= 0 ? parseIpv6(host) : parseIpv4(host);
    }

    private static InetAddress parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != IPV4_BYTES) {
            return null;
        }
        byte[] bytes = new byte[IPV4_BYTES];
        for (int i = 0; i < IPV4_BYTES; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                return null;
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        return byAddress(bytes);
    }

    private static InetAddress parseIpv6(String text) {
        if (text.isEmpty() || !text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
            return null;
        }
        try {
            // Brackets make the JDK parse it as an IPv6 literal or fail: it never looks it up.
            return InetAddress.getByName("[" + text + "]");
        }
        catch (UnknownHostException ex) {
            return null;
        }
    }

    private static InetAddress byAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        }
        catch (UnknownHostException ex) {
            throw new IllegalStateException(ex); // only for a wrong length
        }
    }

    /** An address and prefix length: {@code 10.0.0.0/8}; a bare address is a block of one. */
    private record Block(byte[] network, int prefixLength) {

        static Block parse(String entry) {
            String text = entry == null ? "" : entry.trim();
            int slash = text.indexOf('/');
            String address = slash < 0 ? text : text.substring(0, slash);
            InetAddress parsed = address.indexOf(':') >= 0 ? parseIpv6(address) : parseIpv4(address);
            if (parsed == null) {
                throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR block");
            }
            byte[] network = parsed.getAddress();
            int bits = network.length * Byte.SIZE;
            int prefix = bits;
            if (slash >= 0) {
                String length = text.substring(slash + 1);
                if (length.isEmpty() || length.length() > 3 || !length.chars().allMatch(Character::isDigit)
                        || Integer.parseInt(length) > bits) {
                    throw new IllegalArgumentException("'" + entry + "' has a prefix length outside 0-" + bits);
                }
                prefix = Integer.parseInt(length);
            }
            return new Block(network, prefix);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefixLength / Byte.SIZE;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixLength % Byte.SIZE;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (Byte.SIZE - rest)) & 0xFF;
            return (address[full] & mask) == (network[full] & mask);
        }
    }
}
