package io.atrium.vmm;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs short host tools (qemu-img) and finds binaries on PATH. */
final class HostCommands {

    /** Debian packages providing the tools this package runs, for error messages. */
    private static final Map<String, String> PACKAGES = Map.of(
            "qemu-img", "qemu-utils",
            "qemu-system-x86_64", "qemu-system-x86",
            "setpriv", "util-linux",
            "setsid", "util-linux");

    private HostCommands() {
    }

    /** Resolves a tool name or path to an executable, or fails naming the Debian package. */
    static Path requireTool(String tool) {
        Path resolved = which(tool);
        if (resolved == null) {
            String base = Path.of(tool).getFileName().toString();
            String pkg = PACKAGES.get(base);
            throw new VmmException("required tool '" + tool + "' not found"
                    + (pkg == null ? "" : ": install the Debian package " + pkg + " (apt-get install " + pkg + ")"));
        }
        return resolved;
    }

    static Path which(String tool) {
        if (tool.contains("/")) {
            Path p = Path.of(tool);
            return Files.isExecutable(p) ? p : null;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Runs a command to completion; returns its combined output; fails with the output on exit != 0. */
    static String run(List<String> command, long timeoutSeconds) {
        requireTool(command.getFirst());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new VmmException("cannot run " + command.getFirst() + ": " + e.getMessage(), e);
        }
        try {
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new VmmException(command.getFirst() + " did not finish within " + timeoutSeconds + " s");
            }
            String output = new String(out, StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                throw new VmmException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): " + output);
            }
            return output;
        } catch (IOException e) {
            process.destroyForcibly();
            throw new VmmException("cannot read output of " + command.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while running " + command.getFirst(), e);
        }
    }

    /** The last {@code maxLines} lines of a text file, or a note that it is missing. */
    static String tail(Path file, int maxLines) {
        try {
            if (!Files.exists(file)) {
                return "(" + file.getFileName() + " does not exist)";
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            List<String> last = lines.subList(Math.max(0, lines.size() - maxLines), lines.size());
            return last.isEmpty() ? "(" + file.getFileName() + " is empty)" : String.join("\n", last);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }
}
