package io.atrium.vmm.process;

import java.time.Duration;

/**
 * How a command run by {@link ProcessRunner} ended: it exited by itself (any exit code).
 *
 * @param command what was run
 * @param pid its process id
 * @param exitCode its exit status
 * @param stdout what it wrote to standard output (and standard error, if merged); at most the
 *     last {@link Command#outputLimit()} bytes, decoded as UTF-8
 * @param stderr what it wrote to standard error, empty if merged; at most the same limit
 * @param truncated {@code true} if output beyond the limit was dropped (from the front)
 * @param elapsed how long it ran
 */
public record ProcessResult(Command command, long pid, int exitCode, String stdout, String stderr, boolean truncated,
        Duration elapsed) {

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** Standard error if the command wrote any, else standard output, stripped: what explains a failure. */
    public String detail() {
        return stderr.isBlank() ? stdout.strip() : stderr.strip();
    }
}
