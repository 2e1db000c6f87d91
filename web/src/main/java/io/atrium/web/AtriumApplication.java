package io.atrium.web;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** The Atrium web application: UI, REST API, broker and gateway in one process by default. */
@SpringBootApplication(scanBasePackages = "io.atrium")
@EnableConfigurationProperties(WebProperties.class)
public class AtriumApplication {
    public static void main(String[] args) {
        SpringApplication.run(AtriumApplication.class, args);
    }
}
