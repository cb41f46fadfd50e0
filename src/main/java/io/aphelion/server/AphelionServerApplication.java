package io.aphelion.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Entry point of the Aphelion server: {@code java -jar aphelion-server.jar}.
 */
@SpringBootApplication
public class AphelionServerApplication {

    public static void main(String[] args) {
        SpringApplication.run(AphelionServerApplication.class, args);
    }
}
