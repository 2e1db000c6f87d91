package io.atrium.broker.audit;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/**
 * Audit log settings ({@code atrium.broker.audit.*}).
 *
 * @param retention   entries older than this are deleted by the purge (the only way rows leave the log)
 * @param purgePeriod how often the purge runs; {@code 0} turns it off
 */
@Validated
@ConfigurationProperties("atrium.broker.audit")
public record AuditProperties(
        @NotNull @DefaultValue("365d") Duration retention,
        @NotNull @DefaultValue("1h") Duration purgePeriod) {
}
