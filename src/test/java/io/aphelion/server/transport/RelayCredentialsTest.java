package io.aphelion.server.transport;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RelayCredentialsTest {

    private static final String SECRET = "a-shared-secret-of-the-cluster";
    private static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.7", 40123);

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final RelayCredentials sender = new RelayCredentials("node-a", SECRET, now::get);
    private final RelayCredentials receiver = new RelayCredentials("node-b", SECRET, now::get);

    @Test
    void aSignedHeaderVerifiesWithTheSameSecretAndNamesTheSenderAndTheClient() {
        RelayCredentials.Verified verified = receiver.verify(sender.sign(CLIENT), RelayCredentials.clientHeader(CLIENT));

        assertThat(verified).isNotNull();
        assertThat(verified.nodeId()).isEqualTo("node-a");
        assertThat(verified.client()).isEqualTo(CLIENT);
    }

    @Test
    void anotherSecretDoesNotVerify() {
        RelayCredentials stranger = new RelayCredentials("node-x", "not-the-cluster-secret-at-all", now::get);

        assertThat(receiver.verify(stranger.sign(CLIENT), RelayCredentials.clientHeader(CLIENT))).isNull();
    }

    @Test
    void theClientAddressIsCoveredByTheMac() {
        String header = sender.sign(CLIENT);

        assertThat(receiver.verify(header, "198.51.100.1:40123")).isNull();
        assertThat(receiver.verify(header, null)).isNull();
    }

    @Test
    void malformedHeadersAreRefused() {
        for (String header : new String[] { "", "bogus", "node-a;1;2", "node-a;notanumber;nonce;mac", ";1700000000000;n;m",
                "node-a;1700000000000;;mac", "a;b;c;d;e" }) {
            assertThat(receiver.verify(header, RelayCredentials.clientHeader(CLIENT))).as(header).isNull();
        }
    }

    @Test
    void aHeaderOlderOrNewerThanTheSkewIsRefused() {
        String header = sender.sign(CLIENT);
        now.addAndGet(RelayCredentials.MAX_SKEW_MILLIS + 1);
        assertThat(receiver.verify(header, RelayCredentials.clientHeader(CLIENT))).isNull();

        String fromTheFuture = sender.sign(CLIENT);
        now.addAndGet(-2 * (RelayCredentials.MAX_SKEW_MILLIS + 1));
        assertThat(receiver.verify(fromTheFuture, RelayCredentials.clientHeader(CLIENT))).isNull();
    }

    @Test
    void aHeaderCannotBeReplayed() {
        String header = sender.sign(CLIENT);

        assertThat(receiver.verify(header, RelayCredentials.clientHeader(CLIENT))).isNotNull();
        assertThat(receiver.verify(header, RelayCredentials.clientHeader(CLIENT))).isNull();
    }

    @Test
    void withoutASecretNothingVerifiesAndNothingCanBeSigned() {
        assertThat(RelayCredentials.NONE.verify(sender.sign(CLIENT), RelayCredentials.clientHeader(CLIENT))).isNull();
        assertThatThrownBy(() -> RelayCredentials.NONE.sign(CLIENT)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void ipv6ClientsRoundTrip() {
        InetSocketAddress v6 = new InetSocketAddress("2001:db8::7", 443);

        assertThat(RelayCredentials.clientHeader(v6)).isEqualTo("[2001:db8:0:0:0:0:0:7]:443");
        assertThat(receiver.verify(sender.sign(v6), RelayCredentials.clientHeader(v6)).client()).isEqualTo(v6);
    }
}
