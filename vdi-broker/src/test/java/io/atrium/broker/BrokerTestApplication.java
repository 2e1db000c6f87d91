package io.atrium.broker;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;

/** The broker on its own, for tests: H2 in memory, method security on, VMs faked at the edge. */
@SpringBootApplication
@EnableMethodSecurity
public class BrokerTestApplication {
}
