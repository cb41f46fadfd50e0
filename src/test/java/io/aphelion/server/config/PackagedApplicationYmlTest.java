package io.aphelion.server.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The top-level {@code application.yml} is the operator's documentation and the jar's defaults:
 * one file, packaged as is below the classpath root (never hiding a game's own application.yml),
 * added as the lowest-precedence property source, and its values agree with
 * {@link AphelionProperties}' defaults.
 */
class PackagedApplicationYmlTest {

    private static final Path TOP_LEVEL = Path.of("application.yml");

    @Test
    void packagedDefaultsAreTheTopLevelFileAndNotAtTheClasspathRoot() throws IOException {
        assertThat(new ClassPathResource("application.yml").exists()).as("no application.yml at the root").isFalse();
        ClassPathResource packaged = new ClassPathResource(AphelionDefaultsEnvironmentPostProcessor.DEFAULTS);
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
                new ClassPathResource(AphelionDefaultsEnvironmentPostProcessor.DEFAULTS));
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

    @Test
    void anApplicationGetsTheDefaultsWhereItSetsNothingAndKeepsWhatItSets() {
        SpringApplication application = new SpringApplication(Nothing.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        try (ConfigurableApplicationContext context = application.run("--aphelion.session.expiry=45s",
                "--management.endpoints.web.exposure.include=health")) {
            ConfigurableEnvironment environment = context.getEnvironment();
            assertThat(environment.getProperty("aphelion.session.expiry")).isEqualTo("45s");
            assertThat(environment.getProperty("management.endpoints.web.exposure.include")).isEqualTo("health");
            assertThat(environment.getProperty("aphelion.websocket.path")).isEqualTo("/aphelion");
            assertThat(environment.getProperty("management.endpoint.health.group.readiness.include"))
                    .isEqualTo("readinessState,aphelion");
            List<String> names = environment.getPropertySources().stream().map(PropertySource::getName).toList();
            assertThat(names.indexOf(AphelionDefaultsEnvironmentPostProcessor.PROPERTY_SOURCE_NAME))
                    .as("the defaults come after the command line in %s", names)
                    .isGreaterThan(names.indexOf("commandLineArgs"));
        }
    }

    /** An application with no configuration of its own. */
    @Configuration(proxyBeanMethods = false)
    static class Nothing {
    }
}
