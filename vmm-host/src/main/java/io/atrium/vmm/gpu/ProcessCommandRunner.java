package io.atrium.vmm.gpu;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.process.Command;
import io.atrium.vmm.process.ProcessResult;
import io.atrium.vmm.process.ProcessRunner;
import io.atrium.vmm.process.ProcessTimeoutException;
import io.atrium.vmm.process.ToolNotFoundException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@link CommandRunner} that runs a local process through vmm-host's one process runner
 * ({@link ProcessRunner}: output read while it runs, killed with what it started at the time limit)
 * and reports every failure as {@link CommandFailedException}.
 */
public final class ProcessCommandRunner implements CommandRunner {

    private final Duration timeout;

    public ProcessCommandRunner(Duration timeout) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /** A runner with a 30 second limit per command. */
    public ProcessCommandRunner() {
        this(Duration.ofSeconds(30));
    }

    @Override
    public String run(List<String> argv) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must name a program");
        }
        ProcessResult result;
        try {
            result = ProcessRunner.execute(Command.of(argv).withTimeout(timeout));
        } catch (ToolNotFoundException e) {
            throw new CommandFailedException(argv, -1, "cannot start: " + e.getMessage(), e);
        } catch (ProcessTimeoutException e) {
            throw new CommandFailedException(argv, -1, "timed out after " + timeout, e);
        } catch (VmmException e) {
            throw new CommandFailedException(argv, -1, e.getMessage(), e);
        }
        if (!result.succeeded()) {
            String detail = result.detail();
            throw new CommandFailedException(argv, result.exitCode(),
                    "exit status " + result.exitCode() + (detail.isEmpty() ? "" : ": " + detail));
        }
        return result.stdout();
    }
}
