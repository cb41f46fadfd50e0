package io.aphelion.server.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The top-level {@code application.yml} is the operator's documentation and the jar's defaults:
 * one file, packaged as is, and its values agree with {@link AphelionProperties}' defaults.
 */
class PackagedApplicationYmlTest {

    private static final Path TOP_LEVEL = Path.of("application.yml");

    @Test
    void classpathApplicationYmlIsTheTopLevelFile() throws IOException {
        ClassPathResource packaged = new ClassPathResource("application.yml");
        assertThat(packaged.exists()).isTrue();
        String content;
        try (InputStream in = packaged.getInputStream()) {
            content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }

        assertThat(content).contains("max-connections");
        assertThat(content).isEqualTo(Files.readString(TOP_LEVEL, StandardCharsets.UTF_8));
    }

    @Test
    void topLevelValuesAreTheDocumentedDefaults() throws IOException {
        List<PropertySource<?>> sources = new YamlPropertySourceLoader().load("application.yml",
                new ClassPathResource("application.yml"));
        PropertySource<?> yml = sources.get(0);

        assertThat(yml.getProperty("server.port")).hasToString("80");
        assertThat(yml.getProperty("aphelion.websocket.path")).hasToString("/aphelion");
        assertThat(yml.getProperty("aphelion.websocket.init-timeout")).hasToString("10s");
        assertThat(yml.getProperty("aphelion.websocket.max-message-size")).hasToString("64KB");
        assertThat(yml.getProperty("aphelion.websocket.allowed-origins")).hasToString("*");
        assertThat(yml.getProperty("aphelion.websocket.ping-interval")).hasToString("20s");
        assertThat(yml.getProperty("aphelion.session.expiry")).hasToString("30s");
        assertThat(yml.getProperty("aphelion.session.max-connections")).hasToString("8");
        assertThat(yml.getProperty("aphelion.protocols.ping.min-version")).hasToString("1");
        assertThat(yml.getProperty("aphelion.protocols.ping.max-version")).hasToString("1");
        assertThat(yml.getProperty("aphelion.protocols.game.min-version")).hasToString("1");
        assertThat(yml.getProperty("aphelion.protocols.game.max-version")).hasToString("1");
    }
}
