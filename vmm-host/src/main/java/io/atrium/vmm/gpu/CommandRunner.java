package io.atrium.vmm.gpu;

import java.util.List;

/**
 * Runs an external command and returns its standard output. Injected into {@link NvidiaSmiInventory}
 * so that parsing can be tested against captured output and so that the set of commands run on a host
 * is visible in one place.
 */
@FunctionalInterface
public interface CommandRunner {

    /**
     * Runs {@code argv} (program first) and returns everything it wrote to standard output.
     *
     * @throws CommandFailedException when the program cannot be started, times out or exits non-zero
     */
    String run(List<String> argv);
}
