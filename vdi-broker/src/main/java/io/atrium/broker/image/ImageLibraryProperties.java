package io.atrium.broker.image;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/**
 * Image library settings ({@code atrium.broker.images.*}).
 *
 * @param bootTestTimeout    how long a version's boot test may take to its first real frame
 * @param draftAgentTimeout  how long sealing waits for a draft machine's guest agent to answer
 * @param rolloutCheckPeriod how often running rollouts move on; {@code 0} turns the periodic check off (tests call
 *                           it directly)
 * @param defaultGrace       the grace period of a forced rollout when none is given
 * @param defaultBatchSize   how many desktops a rollout replaces at a time when no batch size is given
 */
@Validated
@ConfigurationProperties("atrium.broker.images")
public record ImageLibraryProperties(
        @NotNull @DefaultValue("5m") Duration bootTestTimeout,
        @NotNull @DefaultValue("5m") Duration draftAgentTimeout,
        @NotNull @DefaultValue("1s") Duration rolloutCheckPeriod,
        @NotNull @DefaultValue("5m") Duration defaultGrace,
        @Min(1) @Max(1000) @DefaultValue("2") int defaultBatchSize) {
}
