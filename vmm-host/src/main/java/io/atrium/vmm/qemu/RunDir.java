package io.atrium.vmm.qemu;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.VmmProperties;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The run directory of one VM, {@code dataDir/run/<vm>}, and the name of every file in it. This is
 * the only place that spells those names:
 *
 * <pre>
 * run/&lt;vm&gt;/            0700
 *   qemu.args qemu.log   argv and QEMU's stdout/stderr
 *   qemu.pid qmp.sock    pid file (written by QEMU), QMP control socket
 *   serial.log           guest serial console (ttyS0)
 *   agent.sock           guest agent channel (the guest's ttyS1)
 *   qga.sock             QEMU guest agent channel (virtio-serial port org.qemu.guest_agent.0), only
 *                        with VmSpec.guestAgent
 *   disk.qcow2           the VM's disk: a linked clone over a golden image or a template base
 *   efivars.fd           the VM's own UEFI variable store (UEFI VMs only)
 *   seed.iso             a cloud-init NoCloud seed (cidata), attached read-only (cold boots of library images)
 *   incoming.sock        only while an instant clone loads its state
 *   migrate.sock         only while a golden VM's state is saved into a template
 *   screen-&lt;n&gt;.png       only during a screendump
 *   vnc/vnc.sock         VNC, unix socket only; vnc/ is 0700
 * </pre>
 *
 * <p>Invariants: the directory and {@code vnc/} are mode 0700 once {@link #prepare()} ran (before
 * QEMU starts); every unix socket path fits {@link VmSpec#MAX_SOCKET_PATH} bytes (checked by
 * {@link VmSpec}).
 *
 * @param dir the directory, absolute and normalized
 */
public record RunDir(Path dir) {

    public RunDir {
        dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
    }

    public static RunDir of(Path dir) {
        return new RunDir(dir);
    }

    /** The run directory of the VM named {@code vmName}: {@code dataDir/run/<vmName>}. */
    public static RunDir of(VmmProperties properties, String vmName) {
        return new RunDir(properties.runDir().resolve(vmName));
    }

    /** The VM's name, which is the directory's name. */
    public String vmName() {
        return dir.getFileName().toString();
    }

    /** QMP control socket, {@code qmp.sock}. */
    public Path qmpSocket() {
        return dir.resolve("qmp.sock");
    }

    /** Directory of the VNC socket, {@code vnc}, mode 0700. */
    public Path vncDir() {
        return dir.resolve("vnc");
    }

    /** VNC unix socket, {@code vnc/vnc.sock}. VNC is never exposed on TCP. */
    public Path vncSocket() {
        return vncDir().resolve("vnc.sock");
    }

    /**
     * The guest agent channel, {@code agent.sock}: a QEMU socket chardev (server) wired to the
     * guest's second serial port {@code ttyS1}.
     */
    public Path agentSocket() {
        return dir.resolve("agent.sock");
    }

    /**
     * The QEMU guest agent channel, {@code qga.sock}: a QEMU socket chardev (server) wired to the
     * virtio-serial port {@code org.qemu.guest_agent.0}, where the guest's {@code qemu-ga} listens.
     * Only VMs with {@link VmSpec#guestAgent()} have it.
     */
    public Path qgaSocket() {
        return dir.resolve("qga.sock");
    }

    /** Where an instant clone ({@link VmSpec#incoming()}) receives its saved state, {@code incoming.sock}. */
    public Path incomingSocket() {
        return dir.resolve("incoming.sock");
    }

    /** Where vmm-host listens for a golden VM's state while it saves a template, {@code migrate.sock}. */
    public Path migrateSocket() {
        return dir.resolve("migrate.sock");
    }

    /** Guest serial console output, {@code serial.log}. */
    public Path serialLog() {
        return dir.resolve("serial.log");
    }

    /** QEMU's own stdout and stderr, {@code qemu.log}. */
    public Path qemuLog() {
        return dir.resolve("qemu.log");
    }

    /** QEMU's pid file, {@code qemu.pid} (written by QEMU). */
    public Path pidFile() {
        return dir.resolve("qemu.pid");
    }

    /** The argv QEMU was started with, one argument per line, {@code qemu.args}. */
    public Path argsFile() {
        return dir.resolve("qemu.args");
    }

    /** The VM's disk overlay, {@code disk.qcow2}: a linked clone over a golden image or template base. */
    public Path overlay() {
        return dir.resolve("disk.qcow2");
    }

    /** The VM's own UEFI variable store, {@code efivars.fd} (a copy of the firmware's template; UEFI VMs only). */
    public Path efiVars() {
        return dir.resolve("efivars.fd");
    }

    /** A cloud-init NoCloud seed ISO (volume {@code cidata}), {@code seed.iso}. */
    public Path seedIso() {
        return dir.resolve("seed.iso");
    }

    /**
     * A temporary file for one screendump by the calling thread, {@code screen-<thread id>.png};
     * the caller deletes it.
     */
    public Path screendumpFile() {
        return dir.resolve("screen-" + Thread.currentThread().threadId() + ".png");
    }

    /** Every unix socket QEMU or vmm-host may create here (their paths must fit sun_path). */
    public List<Path> sockets() {
        return List.of(qmpSocket(), agentSocket(), qgaSocket(), incomingSocket(), migrateSocket(), vncSocket());
    }

    /** What explains a VM's failure: {@code qemu.log}, {@code serial.log}, {@code qemu.args}. */
    public List<Path> logs() {
        return List.of(qemuLog(), serialLog(), argsFile());
    }

    /**
     * The QEMU pid from {@code qemu.pid}, if that process is alive and is a QEMU whose command line
     * references this directory (so a stale pid file of a reused pid is never believed).
     */
    public Optional<Long> livePid() {
        long pid;
        try {
            if (!Files.isRegularFile(pidFile())) {
                return Optional.empty();
            }
            pid = Long.parseLong(Files.readString(pidFile(), StandardCharsets.US_ASCII).strip());
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return QemuLauncher.isQemuFor(pid, dir) ? Optional.of(pid) : Optional.empty();
    }

    /**
     * Creates the directory and {@code vnc/} with mode 0700 and removes the sockets and pid file a
     * previous QEMU left, so that QEMU starts on a clean directory. Logs and the disk stay.
     */
    void prepare() {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Files.createDirectories(vncDir());
            Files.setPosixFilePermissions(vncDir(), PosixFilePermissions.fromString("rwx------"));
            for (Path socket : sockets()) {
                Files.deleteIfExists(socket);
            }
            Files.deleteIfExists(pidFile());
        } catch (IOException e) {
            throw new VmmException("cannot prepare run directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The last {@code maxLines} lines of {@code file} (one of this directory's logs), or a note
     * that it is missing, for error messages.
     */
    public static String tail(Path file, int maxLines) {
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
