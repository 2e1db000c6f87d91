package io.atrium.vmm.gpu;

import java.util.List;

/** An external command could not be run, timed out, or exited with a non-zero status. */
public class CommandFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<String> argv;
    private final int exitCode;

    public CommandFailedException(List<String> argv, int exitCode, String message, Throwable cause) {
        super(String.join(" ", argv) + ": " + message, cause);
        this.argv = List.copyOf(argv);
        this.exitCode = exitCode;
    }

    public CommandFailedException(List<String> argv, int exitCode, String message) {
        this(argv, exitCode, message, null);
    }

    public List<String> argv() {
        return argv;
    }

    /** The exit status, or {@code -1} when the program did not run to completion. */
    public int exitCode() {
        return exitCode;
    }
}
