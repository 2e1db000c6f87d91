package io.atrium.vmm.qemu;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.qmp.QmpClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * A running (or finished) QEMU VM: its process, QMP connection and run directory.
 *
 * <p>Obtained from {@link QemuLauncher#start(VmSpec)} or {@link QemuLauncher#adopt(Path)}.
 * Thread safe. {@link #close()} kills QEMU if it still runs; use {@link #detach()} to let go of
 * a VM that must keep running.
 */
public final class QemuVm implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QemuVm.class);

    /** How long a key is held, and the pause after it (the guest's PS/2 queue is small). */
    private static final int KEY_HOLD_MS = 30;
    private static final int KEY_GAP_MS = 15;

    private final String name;
    private final VmSpec spec;
    private final Path runDir;
    private final Process process;
    private final ProcessHandle handle;
    private final QmpClient qmp;
    private final CompletableFuture<Integer> exit;
    private final Consumer<QemuVm> onRelease;
    private final Object keyLock = new Object();

    QemuVm(String name, VmSpec spec, Path runDir, Process process, ProcessHandle handle, QmpClient qmp,
            Consumer<QemuVm> onRelease) {
        this.name = name;
        this.spec = spec;
        this.runDir = runDir;
        this.process = process;
        this.handle = handle;
        this.qmp = qmp;
        this.onRelease = onRelease;
        this.exit = process != null
                ? process.onExit().thenApply(Process::exitValue)
                : handle.onExit().thenApply(h -> -1);
    }

    public String name() {
        return name;
    }

    /** The spec the VM was started with, or {@code null} for an adopted VM. */
    public VmSpec spec() {
        return spec;
    }

    public long pid() {
        return handle.pid();
    }

    public Path runDir() {
        return runDir;
    }

    /** The files of {@link #runDir()}. */
    public RunDir layout() {
        return RunDir.of(runDir);
    }

    /** The VNC unix socket; its directory is mode 0700. There is never a TCP VNC listener. */
    public Path vncSocket() {
        return layout().vncSocket();
    }

    /** Guest serial console output (kernel log and what the guest writes to /dev/ttyS0). */
    public Path serialLog() {
        return layout().serialLog();
    }

    /** QEMU's own stdout and stderr. */
    public Path qemuLog() {
        return layout().qemuLog();
    }

    /** The last {@code lines} lines of {@link #serialLog()}, for error messages. */
    public String serialLogTail(int lines) {
        return RunDir.tail(serialLog(), lines);
    }

    /** The last {@code lines} lines of {@link #qemuLog()}, for error messages. */
    public String qemuLogTail(int lines) {
        return RunDir.tail(qemuLog(), lines);
    }

    /** The QMP connection (for commands not wrapped here, and for event listeners). */
    public QmpClient qmp() {
        return qmp;
    }

    public boolean isRunning() {
        return handle.isAlive();
    }

    /**
     * Completes when QEMU has exited, with its exit code (-1 for an adopted VM, whose exit code
     * this JVM cannot see).
     */
    public CompletableFuture<Integer> onExit() {
        return exit.copy();
    }

    /**
     * Shuts the VM down: ACPI power button ({@code system_powerdown}) and up to {@code timeout}
     * for the guest to power off; then QMP {@code quit}; then SIGKILL.
     *
     * @return how the VM ended
     */
    public ShutdownResult shutdown(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (!isRunning()) {
            return ShutdownResult.ALREADY_STOPPED;
        }
        try {
            qmp.execute("system_powerdown");
        } catch (VmmException e) {
            log.warn("VM {}: system_powerdown failed: {}", name, e.getMessage());
        }
        if (awaitExit(timeout)) {
            log.info("VM {} (pid {}) powered off gracefully", name, pid());
            return ShutdownResult.GRACEFUL;
        }
        log.warn("VM {} (pid {}) did not power off within {} ms, sending QMP quit", name, pid(), timeout.toMillis());
        try {
            qmp.execute("quit", null, Duration.ofSeconds(2));
        } catch (VmmException e) {
            log.debug("VM {}: quit: {}", name, e.getMessage());
        }
        if (awaitExit(Duration.ofSeconds(3))) {
            return ShutdownResult.QUIT;
        }
        log.warn("VM {} (pid {}) ignored QMP quit, killing it", name, pid());
        kill();
        if (!awaitExit(Duration.ofSeconds(5))) {
            throw new VmmException("QEMU pid " + pid() + " of VM " + name + " survived SIGKILL");
        }
        return ShutdownResult.KILLED;
    }

    /**
     * Adds the SPICE vdagent port to the running VM ({@link VmSpec#vdagent()}): QMP {@code chardev-add} of a
     * {@code qemu-vdagent} chardev with the clipboard on (the mouse stays the tablet's) and {@code device_add} of a
     * {@code virtserialport} named {@value QemuCommandLine#VDAGENT_PORT} on the VM's virtio-serial controller. The
     * guest sees the port appear. Hot-plugged because QEMU 7.2's {@code qemu-vdagent} chardev blocks migration: a
     * template's golden VM never has it, a clone gets it after its state was restored. Idempotent: a VM that has it
     * is left alone.
     */
    public void plugVdagent() {
        JsonNode chardevs = qmp.execute("query-chardev");
        for (JsonNode chardev : chardevs) {
            if (VDAGENT_CHARDEV.equals(chardev.path("label").asString(""))) {
                return;
            }
        }
        qmp.execute("chardev-add", Map.of("id", VDAGENT_CHARDEV, "backend", Map.of("type", "qemu-vdagent",
                "data", Map.of("clipboard", true, "mouse", false))));
        qmp.execute("device_add", Map.of("driver", "virtserialport", "id", VDAGENT_CHARDEV + "-port",
                "bus", QemuCommandLine.VIRTIO_SERIAL + ".0", "chardev", VDAGENT_CHARDEV,
                "name", QemuCommandLine.VDAGENT_PORT));
        log.debug("VM {}: SPICE vdagent port plugged", name);
    }

    /** Id of the hot-plugged {@code qemu-vdagent} chardev. */
    static final String VDAGENT_CHARDEV = "vdagent";

    /** Hard reset of the VM ({@code system_reset}), like pressing the reset button. */
    public void reset() {
        qmp.execute("system_reset");
    }

    /** Kills QEMU with SIGKILL (no guest shutdown). Returns immediately. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
        } else {
            handle.destroyForcibly();
        }
    }

    /** Writes the current screen as PNG ({@code screendump}, format png). */
    public void screendump(Path png) {
        Path target = png.toAbsolutePath().normalize();
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new VmmException("cannot create directory for " + target + ": " + e.getMessage(), e);
        }
        qmp.execute("screendump", Map.of("filename", target.toString(), "format", "png"));
    }

    /**
     * The current screen as PNG bytes: a {@link #screendump(Path)} into a temporary file of the run
     * directory ({@link RunDir#screendumpFile()}), read and deleted.
     */
    public byte[] screendumpPng() {
        Path png = layout().screendumpFile();
        try {
            screendump(png);
            return Files.readAllBytes(png);
        } catch (IOException e) {
            throw new VmmException("cannot read screendump " + png + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(png);
            } catch (IOException ignored) {
                // best effort: the run directory is removed with the VM
            }
        }
    }

    /**
     * Presses key chords one after the other over QMP {@code send-key}. A chord is QKeyCodes
     * joined by '-', e.g. {@code "ret"}, {@code "ctrl-alt-delete"}, {@code "shift-a"}.
     */
    public void sendKeys(String... chords) {
        List<List<String>> parsed = new ArrayList<>();
        for (String chord : chords) {
            parsed.add(Keyboard.parseChord(chord));
        }
        press(parsed);
    }

    /** Types text on the guest keyboard (US layout), e.g. {@code "echo hi\n"}. */
    public void typeText(String text) {
        List<List<String>> chords = new ArrayList<>();
        for (char c : text.toCharArray()) {
            chords.add(Keyboard.chordFor(c));
        }
        press(chords);
    }

    /**
     * Waits until the serial log contains {@code text}.
     *
     * @throws VmmException on timeout or if QEMU exits first, with the tail of the serial log
     */
    public void awaitSerialOutput(String text, Duration timeout) {
        awaitSerialOutput(text, 1, timeout);
    }

    /** Waits until {@code text} occurs at least {@code occurrences} times in the serial log. */
    public void awaitSerialOutput(String text, int occurrences, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (countOccurrences(serialLogText(), text) >= occurrences) {
                return;
            }
            if (!isRunning()) {
                throw new VmmException("VM " + name + " exited while waiting for '" + text + "' on serial\n"
                        + "--- serial.log ---\n" + serialLogTail(30));
            }
            if (System.nanoTime() > deadline) {
                throw new VmmException("VM " + name + ": '" + text + "' (x" + occurrences + ") did not appear on serial within "
                        + timeout.toMillis() + " ms\n--- serial.log ---\n" + serialLogTail(30));
            }
            sleep(50);
        }
    }

    /** The serial log as text (ISO-8859-1, so any byte reads). */
    public String serialLogText() {
        try {
            return Files.exists(serialLog()) ? Files.readString(serialLog(), StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            throw new VmmException("cannot read " + serialLog() + ": " + e.getMessage(), e);
        }
    }

    /** Closes the QMP connection but leaves QEMU running (for VMs kept across broker restarts). */
    public void detach() {
        qmp.close();
        onRelease.accept(this);
    }

    /** Kills QEMU if it still runs, waits for it to exit and closes the QMP connection. */
    @Override
    public void close() {
        if (isRunning()) {
            kill();
            if (!awaitExit(Duration.ofSeconds(5))) {
                log.error("QEMU pid {} of VM {} still alive 5 s after SIGKILL", pid(), name);
            }
        }
        qmp.close();
        onRelease.accept(this);
    }

    @Override
    public String toString() {
        return "QemuVm[" + name + ", pid " + pid() + ", " + runDir + "]";
    }

    private void press(List<List<String>> chords) {
        synchronized (keyLock) {
            for (List<String> chord : chords) {
                List<Map<String, String>> keys = chord.stream()
                        .map(k -> Map.of("type", "qcode", "data", k)).toList();
                qmp.execute("send-key", Map.of("keys", keys, "hold-time", KEY_HOLD_MS));
                sleep(KEY_HOLD_MS + KEY_GAP_MS);
            }
        }
    }

    private boolean awaitExit(Duration timeout) {
        try {
            exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !isRunning();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while waiting for VM " + name + " to exit", e);
        }
    }

    private static int countOccurrences(String haystack, String needle) {
        int count = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length())) {
            count++;
        }
        return count;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted", e);
        }
    }
}
