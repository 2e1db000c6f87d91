package io.atrium.broker;

import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/** Wires the broker's settings and shared infrastructure. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(BrokerProperties.class)
public class BrokerConfiguration {

    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        return Clock.systemUTC();
    }

    /** This broker's node id, the owner of its leases ({@link BrokerNode}). */
    @Bean
    @ConditionalOnMissingBean
    BrokerNode brokerNode(BrokerProperties properties) {
        BrokerNode node = BrokerNode.of(properties);
        LoggerFactory.getLogger(BrokerConfiguration.class).info("broker node id {}", node.id());
        return node;
    }
}
