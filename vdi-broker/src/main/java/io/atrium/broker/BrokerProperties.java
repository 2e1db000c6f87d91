package io.atrium.broker;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;
import java.util.List;

/**
 * Broker settings ({@code atrium.broker.*}).
 *
 * @param ticketTtl    how long a console ticket may be redeemed; at most 30 seconds
 * @param recoverDelay pause before a failed desktop is provisioned again
 * @param instantClones start pooled desktops from a saved running template instead of booting them
 * @param demo         the demo pool created at start-up when enabled
 */
@Validated
@ConfigurationProperties("atrium.broker")
public record BrokerProperties(
        @NotNull @DefaultValue("30s") Duration ticketTtl,
        @NotNull @DefaultValue("2s") Duration recoverDelay,
        @DefaultValue("true") boolean instantClones,
        @Valid @NotNull @DefaultValue Demo demo) {

    @AssertTrue(message = "atrium.broker.ticket-ttl must be between 1s and 30s")
    public boolean isTicketTtlValid() {
        return ticketTtl != null && !ticketTtl.isNegative() && ticketTtl.compareTo(Duration.ofSeconds(1)) >= 0
                && ticketTtl.compareTo(Duration.ofSeconds(30)) <= 0;
    }

    /**
     * The demo pool.
     *
     * @param enabled     create (or resize) the pool at start-up
     * @param name        pool name
     * @param image       guest image: {@code x-desktop} (Xorg, jwm, xterm) or {@code console}
     * @param size        number of desktops kept running
     * @param vcpus       vCPUs per desktop
     * @param memoryMb    memory per desktop
     * @param entitled    principals that may use it: {@code user:NAME} or {@code group:NAME}
     */
    public record Demo(
            @DefaultValue("true") boolean enabled,
            @NotBlank @DefaultValue("demo") String name,
            @NotBlank @DefaultValue("x-desktop") String image,
            @Min(0) @Max(1000) @DefaultValue("3") int size,
            @Min(1) @Max(16) @DefaultValue("1") int vcpus,
            @Min(64) @Max(65536) @DefaultValue("128") int memoryMb,
            @NotNull @DefaultValue("group:demo") List<String> entitled) {
    }
}
