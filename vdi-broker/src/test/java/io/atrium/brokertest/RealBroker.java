package io.atrium.brokertest;

import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.testing.QemuFixture;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;

/**
 * The broker as in production, with the real LocalMachineHost of vmm-host (the other tests' fake edges, all
 * {@code @TestConfiguration}, are left out) and guest images from the shared test cache (built once, reused).
 * Outside {@code io.atrium.broker} so that BrokerTestApplication's scan does not pick it up.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@EnableMethodSecurity
@ComponentScan(basePackages = "io.atrium.broker",
        excludeFilters = @ComponentScan.Filter(type = FilterType.ANNOTATION, classes = TestConfiguration.class))
public class RealBroker {

    @Bean
    GuestImages guestImages() {
        return new GuestImages(VmmProperties.defaults(QemuFixture.sharedImageDataDir()));
    }
}
