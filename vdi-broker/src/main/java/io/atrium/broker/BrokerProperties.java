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

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Broker settings ({@code atrium.broker.*}).
 *
 * @param ticketTtl    how long a console ticket may be redeemed; at most 30 seconds
 * @param recoverDelay pause before a failed desktop is provisioned again
 * @param instantClones start pooled desktops from a saved running template instead of booting them
 * @param demo         the demo pool created at start-up when enabled
 * @param nodeId       this broker's id, the owner of its leases: a short label ({@code [a-z0-9]}, inner {@code -},
 *                     at most 63 characters); empty (the default) for the id kept in {@code dataDir/broker-node-id}
 *                     (made once, so the same install keeps its id across restarts). Two brokers that run at the same
 *                     time must have different ids.
 * @param dataDir      where the broker keeps its own files (the node id); default
 *                     {@code ${user.home}/.local/share/atrium}
 * @param leaseTtl     how long a lease lasts unless its holder renews it (every third of it); a lease of a broker
 *                     that died is taken over after this; at least 3 seconds
 */
@Validated
@ConfigurationProperties("atrium.broker")
public record BrokerProperties(
        @NotNull @DefaultValue("30s") Duration ticketTtl,
        @NotNull @DefaultValue("2s") Duration recoverDelay,
        @DefaultValue("true") boolean instantClones,
        @Valid @NotNull @DefaultValue Demo demo,
        @DefaultValue("") String nodeId,
        Path dataDir,
        @NotNull @DefaultValue("60s") Duration leaseTtl) {

    public BrokerProperties {
        nodeId = nodeId == null ? "" : nodeId.strip();
        dataDir = (dataDir == null ? Path.of(System.getProperty("user.home"), ".local", "share", "atrium") : dataDir)
                .toAbsolutePath().normalize();
    }

    @AssertTrue(message = "atrium.broker.node-id must be empty or a short label: [a-z0-9] and inner '-', at most 63")
    public boolean isNodeIdValid() {
        return nodeId.isEmpty() || BrokerNode.isNodeId(nodeId);
    }

    @AssertTrue(message = "atrium.broker.lease-ttl must be at least 3s")
    public boolean isLeaseTtlValid() {
        return leaseTtl != null && leaseTtl.compareTo(Duration.ofSeconds(3)) >= 0;
    }

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
