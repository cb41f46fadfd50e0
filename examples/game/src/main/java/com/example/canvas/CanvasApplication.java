package com.example.canvas;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The canvas game's server: the Aphelion transport comes by auto-configuration, the game by component scanning. */
@SpringBootApplication
public class CanvasApplication {

    public static void main(String[] args) {
        SpringApplication.run(CanvasApplication.class, args);
    }
}
