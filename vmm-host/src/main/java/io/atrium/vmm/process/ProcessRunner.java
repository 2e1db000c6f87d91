package io.atrium.vmm.process;

import io.atrium.vmm.VmmException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way vmm-host runs a short host tool (qemu-img, the image builders' tools, nvidia-smi).
 * QEMU itself is not run this way: {@code QemuLauncher} spawns it as a long-lived process.
 *
 * <p>Invariants:
 * <ul>
 *   <li><b>The timeout fires.</b> Standard output and standard error are read by two reader
 *       threads while the caller waits for the process with the command's timeout, so a tool that
 *       hangs, or fills a pipe, cannot block the caller. When the timeout passes, the process and
 *       every process it started ({@link ProcessHandle#descendants()}) are killed with SIGKILL and
 *       {@link ProcessTimeoutException} names the command and the timeout.</li>
 *   <li><b>No wait on a pipe somebody else holds.</b> Once the process exited, its output is
 *       drained for at most {@link #DRAIN_GRACE}; a background child that keeps the pipe open
 *       (e.g. {@code sh -c 'daemon &'}) is not waited for (its reader thread ends with it).</li>
 *   <li><b>Bounded memory.</b> Of each stream only the last {@link Command#outputLimit()} bytes
 *       are kept.</li>
 *   <li>Standard input is {@code /dev/null}; a missing tool fails before anything runs, with
 *       {@link ToolNotFoundException} naming the Debian package to install.</li>
 * </ul>
 * A call therefore returns within about timeout + {@link #KILL_WAIT} + {@link #DRAIN_GRACE}.
 */
public final class ProcessRunner {

    private static final Logger log = LoggerFactory.getLogger(ProcessRunner.class);

    /** How long output is still drained after the process exited (or was killed). */
    static final Duration DRAIN_GRACE = Duration.ofSeconds(1);
    /** How long a killed process may take to be reaped. */
    static final Duration KILL_WAIT = Duration.ofSeconds(5);
    /** How much of a tool's output an exception message quotes (its end). */
    static final int MESSAGE_EXCERPT = 4000;

    /** Debian packages providing the tools vmm-host runs, for the message when one is missing. */
    static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("qemu-img", "qemu-utils"),
            Map.entry("qemu-system-x86_64", "qemu-system-x86"),
            Map.entry("setpriv", "util-linux"),
            Map.entry("setsid", "util-linux"),
            Map.entry("prlimit", "util-linux"),
            Map.entry("genisoimage", "genisoimage"),
            Map.entry("apt-get", "apt"),
            Map.entry("apt-cache", "apt"),
            Map.entry("dpkg-deb", "dpkg"),
            Map.entry("dpkg-query", "dpkg"),
            Map.entry("mke2fs", "e2fsprogs"),
            Map.entry("debugfs", "e2fsprogs"),
            Map.entry("busybox", "busybox-static"),
            Map.entry("debootstrap", "debootstrap"),
            Map.entry("chroot", "coreutils"),
            Map.entry("ip", "iproute2"),
            Map.entry("nft", "nftables"),
            Map.entry("vde_switch", "vde2"),
            Map.entry("dnsmasq", "dnsmasq-base"));

    private static final File DEV_NULL = new File("/dev/null");

    private ProcessRunner() {
    }

    /**
     * Runs {@code command} and requires exit status 0.
     *
     * @return the result (exit status 0)
     * @throws ProcessFailedException if it exited with another status (the message quotes its output)
     * @throws ProcessTimeoutException if it ran past its timeout (it was killed)
     * @throws ToolNotFoundException if the program is not installed
     * @throws VmmException if it cannot be started or the caller is interrupted (it is killed)
     */
    public static ProcessResult run(Command command) {
        ProcessResult result = execute(command);
        if (!result.succeeded()) {
            throw new ProcessFailedException(result);
        }
        return result;
    }

    /**
     * Runs {@code command} and returns how it exited, whatever its exit status.
     *
     * @throws ProcessTimeoutException if it ran past its timeout (it was killed)
     * @throws ToolNotFoundException if the program is not installed
     * @throws VmmException if it cannot be started or the caller is interrupted (it is killed)
     */
    public static ProcessResult execute(Command command) {
        Objects.requireNonNull(command, "command");
        List<String> argv = new ArrayList<>(command.argv());
        argv.set(0, requireTool(command.program(), command.purpose()).toString());
        ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
                .redirectErrorStream(command.mergeErrors());
        if (command.directory() != null) {
            builder.directory(command.directory().toFile());
        }
        builder.environment().putAll(command.environment());
        long start = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new VmmException("cannot run " + command.display() + ": " + e.getMessage(), e);
        }
        TailBuffer out = new TailBuffer(command.outputLimit());
        TailBuffer err = new TailBuffer(command.outputLimit());
        List<Thread> readers = new ArrayList<>(2);
        readers.add(drain(process.getInputStream(), out, "process-out-" + process.pid()));
        if (!command.mergeErrors()) {
            readers.add(drain(process.getErrorStream(), err, "process-err-" + process.pid()));
        }
        try {
            if (!process.waitFor(command.timeout().toNanos(), TimeUnit.NANOSECONDS)) {
                int killed = killTree(process);
                awaitReaders(readers, command);
                throw new ProcessTimeoutException(command, killed, out.text());
            }
            awaitReaders(readers, command);
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while running " + command.display(), e);
        }
        return new ProcessResult(command, process.pid(), process.exitValue(), out.text(), err.text(),
                out.truncated() || err.truncated(), Duration.ofNanos(System.nanoTime() - start));
    }

    /** {@link #requireTool(String, String)} without a purpose. */
    public static Path requireTool(String tool) {
        return requireTool(tool, null);
    }

    /**
     * Resolves a tool name (looked up on PATH, then {@code /usr/sbin:/sbin}) or path to an executable.
     *
     * @param purpose what needs it, for the message (e.g. "guest image build"), or {@code null}
     * @throws ToolNotFoundException naming the Debian package that provides it
     */
    public static Path requireTool(String tool, String purpose) {
        return which(tool).orElseThrow(() -> new ToolNotFoundException(tool,
                PACKAGES.get(Path.of(tool).getFileName().toString()), purpose));
    }

    /** The executable {@code tool} names (itself if it contains '/'), if there is one. */
    public static Optional<Path> which(String tool) {
        if (tool.contains("/")) {
            Path p = Path.of(tool);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Kills the process and what it started (snapshot taken first); returns how many descendants were killed. */
    static int killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        int killed = 0;
        for (ProcessHandle child : descendants) {
            if (child.destroyForcibly()) {
                killed++;
            }
        }
        try {
            if (!process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.error("pid {} still alive {} ms after SIGKILL", process.pid(), KILL_WAIT.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return killed;
    }

    private static Thread drain(InputStream in, TailBuffer sink, String name) {
        return Thread.ofPlatform().daemon().name(name).start(() -> {
            byte[] buffer = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    sink.append(buffer, 0, n);
                }
            } catch (IOException e) {
                // the stream ends when the process is gone
            }
        });
    }

    private static void awaitReaders(List<Thread> readers, Command command) throws InterruptedException {
        long deadline = System.nanoTime() + DRAIN_GRACE.toNanos();
        for (Thread reader : readers) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                reader.join(Duration.ofNanos(left));
            }
            if (reader.isAlive()) {
                log.warn("{} exited, but a process it started keeps its output open; not waiting for it",
                        command.display());
                return;
            }
        }
    }

    /** "60 s" or "1500 ms". */
    static String human(Duration duration) {
        long ms = duration.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    /** ": " and the end of {@code output}, or nothing if it is blank. */
    static String excerpt(String output) {
        String text = output == null ? "" : output.strip();
        if (text.isEmpty()) {
            return "";
        }
        return ": " + (text.length() <= MESSAGE_EXCERPT ? text : "…" + text.substring(text.length() - MESSAGE_EXCERPT));
    }
}
