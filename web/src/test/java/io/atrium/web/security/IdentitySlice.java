package io.atrium.web.security;

import io.atrium.broker.BrokerProperties;
import io.atrium.broker.audit.AuditLog;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcClientAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;
import org.springframework.context.annotation.Import;

import java.time.Clock;

/**
 * The broker's real identity package (accounts, guard, tokens) on an in-memory H2 database with the real
 * migrations, for the controller and filter-chain slices: the demo accounts exist (password = name), so a slice's
 * 401s, 403s and 429s come from the real authentication. Revocation (which needs desktops and sessions) is left out.
 */
@TestConfiguration(proxyBeanMethods = false)
@ImportAutoConfiguration({DataSourceAutoConfiguration.class, DataSourceTransactionManagerAutoConfiguration.class,
        JdbcTemplateAutoConfiguration.class, JdbcClientAutoConfiguration.class, FlywayAutoConfiguration.class,
        TransactionAutoConfiguration.class})
@ComponentScan(basePackages = "io.atrium.broker.identity",
        excludeFilters = @ComponentScan.Filter(type = FilterType.REGEX, pattern = ".*AccessRevocation"))
@Import(AuditLog.class)
@EnableConfigurationProperties(BrokerProperties.class)
public class IdentitySlice {
    // Tests using it declare: a fresh in-memory database, the demo accounts, a data dir (for the identity key).

    @Bean
    SliceClock clock() {
        return new SliceClock();
    }

    /** The broker's clock in slices: tests move it instead of sleeping (backoff and lockout periods). */
    public static final class SliceClock extends Clock {
        private volatile java.time.Instant now = java.time.Instant.now();

        public void advance(java.time.Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }
}
