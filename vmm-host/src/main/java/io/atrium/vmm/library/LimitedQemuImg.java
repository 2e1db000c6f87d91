package io.atrium.vmm.library;

import io.atrium.vmm.api.ValidationRule;
import io.atrium.vmm.process.Command;
import io.atrium.vmm.process.ProcessResult;
import io.atrium.vmm.process.ProcessRunner;
import io.atrium.vmm.process.ProcessTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code qemu-img} on files that may be hostile: always under {@code prlimit} (address space, CPU seconds and, for
 * conversions, the output file size) and a timeout, through {@link ProcessRunner}. A limit that is hit becomes a
 * refusal naming {@link ValidationRule#RESOURCE_LIMIT} (or {@link ValidationRule#EXPANDED_SIZE} for the file size
 * limit); anything else qemu-img fails on becomes {@link ValidationRule#CORRUPT} with its last line.
 */
final class LimitedQemuImg {
    /** Exit status of a process killed by SIGXCPU (the soft CPU limit). */
    private static final int KILLED_BY_SIGXCPU = 128 + 24;
    /** Exit status of a process killed by SIGKILL (the hard CPU limit, or the kernel out of memory). */
    private static final int KILLED_BY_SIGKILL = 128 + 9;
    /** Exit status of a process that aborted (a failed allocation under the address-space limit). */
    private static final int ABORTED = 128 + 6;

    private final String qemuImg;
    private final LibraryProperties limits;

    LimitedQemuImg(String qemuImg, LibraryProperties limits) {
        this.qemuImg = Objects.requireNonNull(qemuImg, "qemuImg");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /**
     * Runs {@code qemu-img args…} under the limits and returns how it ended (any exit status the caller wants to
     * interpret); a limit that was hit is thrown as a refusal.
     *
     * @param maxOutputBytes the file size limit ({@code prlimit --fsize}), or 0 for none (reading only)
     */
    ProcessResult run(String what, long maxOutputBytes, String... args) {
        List<String> argv = new ArrayList<>(List.of("prlimit",
                "--as=" + limits.qemuImgMemory().toBytes(),
                "--cpu=" + Math.max(1, limits.qemuImgCpu().toSeconds())));
        if (maxOutputBytes > 0) {
            argv.add("--fsize=" + maxOutputBytes);
        }
        argv.add("--");
        argv.add(qemuImg);
        argv.addAll(List.of(args));
        ProcessResult result;
        try {
            result = ProcessRunner.execute(Command.of(argv).withTimeout(limits.qemuImgTimeout())
                    .withOutputLimit(4 << 20).neededBy("image validation"));
        } catch (ProcessTimeoutException e) {
            throw new ImageRefusedException(ValidationRule.RESOURCE_LIMIT, "qemu-img " + what + " ran longer than "
                    + limits.qemuImgTimeout().toMillis() + " ms and was stopped");
        }
        String output = result.stdout() + "\n" + result.stderr();
        if (maxOutputBytes > 0 && output.contains("File too large")) {
            throw new ImageRefusedException(ValidationRule.EXPANDED_SIZE, "converted, it would take more than "
                    + HeaderCheck.human(maxOutputBytes) + " (qemu-img " + what + " stopped at that limit)");
        }
        switch (result.exitCode()) {
            case KILLED_BY_SIGXCPU, KILLED_BY_SIGKILL -> throw new ImageRefusedException(ValidationRule.RESOURCE_LIMIT,
                    "qemu-img " + what + " used more than " + limits.qemuImgCpu().toSeconds()
                            + " s of CPU time and was stopped");
            case ABORTED -> throw new ImageRefusedException(ValidationRule.RESOURCE_LIMIT, "qemu-img " + what
                    + " needed more than " + HeaderCheck.human(limits.qemuImgMemory().toBytes()) + " of memory");
            default -> {
                if (output.contains("Cannot allocate memory") || output.contains("Failed to allocate")) {
                    throw new ImageRefusedException(ValidationRule.RESOURCE_LIMIT, "qemu-img " + what
                            + " needed more than " + HeaderCheck.human(limits.qemuImgMemory().toBytes())
                            + " of memory");
                }
            }
        }
        return result;
    }

    /** Like {@link #run} and requires exit status 0; otherwise a {@link ValidationRule#CORRUPT} refusal. */
    ProcessResult runOk(String what, long maxOutputBytes, String... args) {
        ProcessResult result = run(what, maxOutputBytes, args);
        if (!result.succeeded()) {
            throw new ImageRefusedException(ValidationRule.CORRUPT, "qemu-img " + what + " failed: "
                    + lastLine(result.detail()));
        }
        return result;
    }

    /** The last line of qemu-img's message, without the file's path, cut to 300 characters. */
    static String lastLine(String text) {
        String t = text == null ? "" : text.strip();
        int nl = t.lastIndexOf('\n');
        String line = nl < 0 ? t : t.substring(nl + 1);
        line = line.replaceAll("'/[^']*'", "'…'");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }
}
