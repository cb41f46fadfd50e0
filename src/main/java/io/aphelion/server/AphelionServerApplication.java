package io.aphelion.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.PropertySource;

/**
 * Entry point of the Aphelion server: {@code java -jar aphelion-server-<version>-exec.jar}. Its
 * {@code /actuator/info} shows the server's own build and commit, which the build writes below
 * this package (not at Boot's default locations, so that a game depending on the library shows
 * its own).
 */
@SpringBootApplication
@PropertySource("classpath:io/aphelion/server/server-application.properties")
public class AphelionServerApplication {

    public static void main(String[] args) {
        SpringApplication.run(AphelionServerApplication.class, args);
    }
}
