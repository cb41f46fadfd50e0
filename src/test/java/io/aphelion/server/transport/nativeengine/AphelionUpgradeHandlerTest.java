package io.aphelion.server.transport.nativeengine;

import io.aphelion.server.transport.TrustedProxies;
import io.aphelion.server.transport.AphelionWebSocketHandler;
import io.aphelion.server.transport.AllowedOrigins;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The early upgrade path ({@link AphelionUpgradeHandler#upgradeEarly}, offered by Jetty's parser
 * through {@link AphelionUpgradeConnectionFactory}): it upgrades exactly the requests the handler
 * would upgrade with no question asked, and leaves every other one to the handler (null).
 */
class AphelionUpgradeHandlerTest {

    /** RFC 6455 1.3's example key and its accept value. */
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    private static final String ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    private final AphelionUpgradeHandler handler = new AphelionUpgradeHandler("/aphelion",
            new AphelionWebSocketHandler(sink -> {
                throw new AssertionError("no websocket opens in these tests");
            }, AphelionWebSocketHandler.ContainerFrameSinks.NONE),
            TrustedProxies.parse(List.of()), AllowedOrigins.of(List.of("https://*.example.com")),
            64 * 1024, Duration.ofSeconds(90), Duration.ofSeconds(10), new io.aphelion.server.testing.ManualScheduler());
    private final ServerConnector connector = new ServerConnector(new Server(), null, null, new ArrayByteBufferPool(), 1, 1);
    private final ByteArrayEndPoint endPoint = new ByteArrayEndPoint() {
        @Override
        public InetSocketAddress getRemoteSocketAddress() {
            return new InetSocketAddress("127.0.0.7", 40000);
        }
    };

    @Test
    void validUpgradeOnThePathIsUpgradedWithTheSwitchingHeaders() {
        HttpFields.Mutable answer = HttpFields.build();

        var webSocket = handler.upgradeEarly(connector, endPoint, request("/aphelion", "13", KEY, null), answer);

        assertThat(webSocket).isNotNull();
        assertThat(webSocket.remoteAddress()).isEqualTo(new InetSocketAddress("127.0.0.7", 40000));
        assertThat(answer.get(HttpHeader.SEC_WEBSOCKET_ACCEPT)).isEqualTo(ACCEPT);
        assertThat(answer.get(HttpHeader.UPGRADE)).isEqualTo("websocket");
        assertThat(answer.get(HttpHeader.CONNECTION)).isEqualTo("Upgrade");
    }

    @Test
    void allowedOriginIsUpgradedEarly() {
        assertThat(handler.upgradeEarly(connector, endPoint,
                request("/aphelion", "13", KEY, "https://play.example.com"), HttpFields.build())).isNotNull();
    }

    @Test
    void everythingElseIsLeftToTheHandler() {
        HttpFields.Mutable answer = HttpFields.build();

        assertThat(handler.upgradeEarly(connector, endPoint, request("/other", "13", KEY, null), answer))
                .as("another path").isNull();
        assertThat(handler.upgradeEarly(connector, endPoint, request("/aphelion", "8", KEY, null), answer))
                .as("another version: the handler answers 426 with the version header").isNull();
        assertThat(handler.upgradeEarly(connector, endPoint, request("/aphelion", "13", "abc", null), answer))
                .as("a malformed key: the handler answers 400").isNull();
        assertThat(handler.upgradeEarly(connector, endPoint, request("/aphelion", "13", KEY, "https://evil.test"), answer))
                .as("an origin outside the patterns: the handler checks same-origin, then answers 403").isNull();
        assertThat(answer.size()).as("nothing is answered for a request left to the handler").isZero();
    }

    private static MetaData.Request request(String path, String version, String key, String origin) {
        HttpFields.Mutable headers = HttpFields.build()
                .put(HttpHeader.HOST, "127.0.0.1")
                .put(HttpHeader.UPGRADE, "websocket")
                .put(HttpHeader.CONNECTION, "Upgrade")
                .put(HttpHeader.SEC_WEBSOCKET_VERSION, version)
                .put(HttpHeader.SEC_WEBSOCKET_KEY, key);
        if (origin != null) {
            headers.put(HttpHeader.ORIGIN, origin);
        }
        return new MetaData.Request("GET", HttpURI.from(path), HttpVersion.HTTP_1_1, headers);
    }
}
