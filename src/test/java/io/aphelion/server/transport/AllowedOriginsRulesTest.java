package io.aphelion.server.transport;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AllowedOrigins}, the one origin rule of both engines: no {@code Origin} passes, the
 * server's own origin passes, the patterns decide the rest.
 */
class AllowedOriginsRulesTest {

    private final AllowedOrigins origins = AllowedOrigins.of(List.of("https://*.example.com", "https://game.test"));

    @Test
    void requestWithoutAnOriginHeaderPasses() {
        assertThat(origins.allows(null, "http", "127.0.0.1", 8080)).isTrue();
        assertThat(origins.allowsByPattern(null)).isTrue();
    }

    @Test
    void listedOriginsAndPatternsPass() {
        assertThat(origins.allows("https://play.example.com", "http", "127.0.0.1", 8080)).isTrue();
        assertThat(origins.allows("https://game.test", "http", "127.0.0.1", 8080)).isTrue();
        assertThat(origins.allowsByPattern("https://play.example.com")).isTrue();
    }

    @Test
    void otherOriginsAreRefused() {
        assertThat(origins.allows("https://evil.test", "http", "127.0.0.1", 8080)).isFalse();
        assertThat(origins.allows("http://game.test", "http", "127.0.0.1", 8080)).as("another scheme").isFalse();
        assertThat(origins.allows("not an origin", "http", "127.0.0.1", 8080)).isFalse();
        assertThat(origins.allowsByPattern("https://evil.test")).isFalse();
    }

    @Test
    void theServersOwnOriginPassesWhateverThePatterns() {
        assertThat(origins.allows("http://127.0.0.1:8080", "http", "127.0.0.1", 8080)).isTrue();
        assertThat(origins.allows("HTTP://Game.Local", "http", "game.local", -1)).as("case, and the default port").isTrue();
        assertThat(origins.allows("https://game.local", "https", "game.local", 443)).isTrue();
        assertThat(origins.allows("http://127.0.0.1:8081", "http", "127.0.0.1", 8080)).as("another port").isFalse();
        assertThat(origins.allowsByPattern("http://127.0.0.1:8080")).as("the early path knows no own origin").isFalse();
    }

    @Test
    void anyAllowsEveryOrigin() {
        assertThat(AllowedOrigins.ANY.allows("https://evil.test", "http", "127.0.0.1", 8080)).isTrue();
        assertThat(AllowedOrigins.of(List.of("*")).allowsByPattern("null")).isTrue();
    }
}
