package io.atrium.vmm.qga;

import java.util.Objects;
import java.util.Set;

/**
 * What {@code guest-info} reports (validated: see {@link QgaClient#info()}).
 *
 * @param version the agent's version, e.g. {@code 7.2.19}
 * @param enabledCommands the commands the agent supports and has enabled
 */
public record QgaInfo(String version, Set<String> enabledCommands) {

    public QgaInfo {
        Objects.requireNonNull(version, "version");
        enabledCommands = Set.copyOf(enabledCommands);
    }

    /** Whether the agent has {@code command} and it is enabled. */
    public boolean supports(String command) {
        return enabledCommands.contains(command);
    }
}
