package io.aphelion.server.transport;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * {@link TrustedProxies}: CIDR matching, the right-most untrusted X-Forwarded-For entry, and
 * literals only (nothing that would query DNS).
 */
class TrustedProxiesTest {

    private static final TrustedProxies LOOPBACK = TrustedProxies.parse(List.of("127.0.0.0/8", "::1"));

    @Test
    void blocksMatchOnTheirPrefixOnly() throws Exception {
        TrustedProxies proxies = TrustedProxies.parse(List.of("10.0.0.0/8", "192.168.1.128/25", "fd00::/8"));

        assertThat(proxies.isTrusted(ip("10.255.0.1"))).isTrue();
        assertThat(proxies.isTrusted(ip("11.0.0.1"))).isFalse();
        assertThat(proxies.isTrusted(ip("192.168.1.128"))).isTrue();
        assertThat(proxies.isTrusted(ip("192.168.1.255"))).isTrue();
        assertThat(proxies.isTrusted(ip("192.168.1.127"))).isFalse();
        assertThat(proxies.isTrusted(ip("fd12::1"))).isTrue();
        assertThat(proxies.isTrusted(ip("fe80::1"))).isFalse();
    }

    @Test
    void aBareAddressTrustsThatAddressOnly() throws Exception {
        TrustedProxies proxies = TrustedProxies.parse(List.of("127.0.0.1"));

        assertThat(proxies.isTrusted(ip("127.0.0.1"))).isTrue();
        assertThat(proxies.isTrusted(ip("127.0.0.2"))).isFalse();
    }

    @Test
    void emptyTrustsNobody() throws Exception {
        assertThat(TrustedProxies.parse(List.of())).isSameAs(TrustedProxies.NONE);
        assertThat(TrustedProxies.NONE.clientAddress(ip("127.0.0.1"), List.of("203.0.113.7")))
                .isEqualTo(ip("127.0.0.1"));
    }

    @Test
    void clientIsTheRightMostUntrustedEntry() throws Exception {
        InetAddress client = LOOPBACK.clientAddress(ip("127.0.0.1"), List.of("198.51.100.66, 203.0.113.7, 127.0.0.5"));

        assertThat(client).isEqualTo(ip("203.0.113.7"));
    }

    @Test
    void severalHeadersReadAsOneList() throws Exception {
        InetAddress client = LOOPBACK.clientAddress(ip("127.0.0.1"), List.of("198.51.100.66", "203.0.113.7"));

        assertThat(client).isEqualTo(ip("203.0.113.7"));
    }

    @Test
    void headerFromAnUntrustedPeerIsIgnored() throws Exception {
        assertThat(LOOPBACK.clientAddress(ip("192.0.2.1"), List.of("203.0.113.7"))).isEqualTo(ip("192.0.2.1"));
    }

    @Test
    void whenEveryEntryIsTrustedTheLeftMostIsTheClient() throws Exception {
        assertThat(LOOPBACK.clientAddress(ip("127.0.0.1"), List.of("127.0.0.9, 127.0.0.8"))).isEqualTo(ip("127.0.0.9"));
    }

    @Test
    void anEntryThatIsNotAnAddressLeavesThePeer() throws Exception {
        assertThat(LOOPBACK.clientAddress(ip("127.0.0.1"), List.of("203.0.113.7, unknown"))).isEqualTo(ip("127.0.0.1"));
        assertThat(LOOPBACK.clientAddress(ip("127.0.0.1"), List.of("evil.example.com"))).isEqualTo(ip("127.0.0.1"));
    }

    @Test
    void portsAndBracketsAreDropped() throws Exception {
        assertThat(TrustedProxies.parseLiteral("203.0.113.7:4711")).isEqualTo(ip("203.0.113.7"));
        assertThat(TrustedProxies.parseLiteral("[2001:db8::1]:4711")).isEqualTo(ip("2001:db8::1"));
        assertThat(TrustedProxies.parseLiteral("2001:db8::1")).isEqualTo(ip("2001:db8::1"));
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "unknown", "localhost", "example.com", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3",
            "[2001:db8::1", "fe80::1%eth0", "beef", "12:34:zz::1", "_hidden" })
    void onlyIpLiteralsParse(String text) {
        assertThat(TrustedProxies.parseLiteral(text)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = { "localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/abc", "" })
    void badEntriesAreRejectedByName(String entry) {
        assertThatIllegalArgumentException().isThrownBy(() -> TrustedProxies.parse(List.of(entry)))
                .withMessageContaining("'" + entry + "'");
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }
}
