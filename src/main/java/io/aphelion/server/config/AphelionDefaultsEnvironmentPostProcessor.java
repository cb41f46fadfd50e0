package io.aphelion.server.config;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

/**
 * The server's defaults, for the runnable jar and for a game that depends on the server as a
 * library alike: the repository's top-level {@code application.yml} (every key with its default,
 * the readiness group with the {@code aphelion} indicator, the Actuator exposure, graceful
 * shutdown, port 80) is packaged as {@value #DEFAULTS} and added as the property source of lowest
 * precedence. Whatever the application sets (its own {@code application.yml}, the command line,
 * the environment) wins; what it leaves alone keeps the documented default. Not at the classpath
 * root, so it never hides the application's own {@code application.yml}.
 *
 * <p>Registered in {@code META-INF/spring.factories}; runs once per application start.
 */
public class AphelionDefaultsEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    /** Where the packaged defaults are on the classpath. */
    public static final String DEFAULTS = "io/aphelion/server/config/application.yml";

    /** The name of the property source, last in the environment. */
    public static final String PROPERTY_SOURCE_NAME = "aphelionDefaults";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        ClassPathResource defaults = new ClassPathResource(DEFAULTS, AphelionDefaultsEnvironmentPostProcessor.class.getClassLoader());
        if (!defaults.exists() || environment.getPropertySources().contains(PROPERTY_SOURCE_NAME)) {
            return;
        }
        try {
            for (PropertySource<?> source : new YamlPropertySourceLoader().load(PROPERTY_SOURCE_NAME, defaults)) {
                environment.getPropertySources().addLast(source);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot read the Aphelion defaults " + DEFAULTS, ex);
        }
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
