package io.atrium.broker.session;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/**
 * Session settings ({@code atrium.broker.sessions.*}).
 *
 * @param checkPeriod how often the session reaper records input and enforces idle timeout, disconnect grace and
 *                    maximum session length; {@code 0} turns the periodic check off (tests call it directly)
 */
@Validated
@ConfigurationProperties("atrium.broker.sessions")
public record SessionProperties(@NotNull @DefaultValue("2s") Duration checkPeriod) {
}
