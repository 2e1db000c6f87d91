package io.atrium.vmm.qga;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * How a process run in the guest with {@code guest-exec} ended, and what it wrote. Output is what
 * the guest reported, so it may be anything; each stream is capped ({@link QgaLimits#maxOutputBytes}),
 * and the flags say whether the guest agent (it keeps at most 16 MiB) or this client cut it.
 * {@link #toString()} shows sizes only, never the output.
 *
 * @param exitCode the exit status; {@code 128 + signal} if a signal ended it (as a shell reports)
 * @param signal the signal that ended the process, or 0
 * @param stdout standard output (up to the cap)
 * @param stderr standard error (up to the cap)
 * @param stdoutTruncated more standard output was written than {@link #stdout()} holds
 * @param stderrTruncated more standard error was written than {@link #stderr()} holds
 */
public record QgaExecResult(int exitCode, int signal, byte[] stdout, byte[] stderr, boolean stdoutTruncated,
        boolean stderrTruncated) {

    public QgaExecResult {
        stdout = stdout.clone();
        stderr = stderr.clone();
    }

    @Override
    public byte[] stdout() {
        return stdout.clone();
    }

    @Override
    public byte[] stderr() {
        return stderr.clone();
    }

    /** {@link #stdout()} as UTF-8 (invalid bytes replaced). */
    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    /** {@link #stderr()} as UTF-8 (invalid bytes replaced). */
    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    /** Exit status 0. */
    public boolean succeeded() {
        return exitCode == 0 && signal == 0;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof QgaExecResult r && exitCode == r.exitCode && signal == r.signal
                && Arrays.equals(stdout, r.stdout) && Arrays.equals(stderr, r.stderr)
                && stdoutTruncated == r.stdoutTruncated && stderrTruncated == r.stderrTruncated;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * exitCode + signal) + Arrays.hashCode(stdout) * 7 + Arrays.hashCode(stderr);
    }

    @Override
    public String toString() {
        return "QgaExecResult[exitCode=" + exitCode + ", signal=" + signal + ", stdout=" + stdout.length + " bytes"
                + (stdoutTruncated ? " (truncated)" : "") + ", stderr=" + stderr.length + " bytes"
                + (stderrTruncated ? " (truncated)" : "") + "]";
    }
}
