package io.atrium.web;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The Atrium web application: UI, REST API, broker and gateway in one process by default. */
@SpringBootApplication(scanBasePackages = "io.atrium")
public class AtriumApplication {
    public static void main(String[] args) {
        SpringApplication.run(AtriumApplication.class, args);
    }
}
