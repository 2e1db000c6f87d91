package io.atrium.vmm.disk;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.process.Command;
import io.atrium.vmm.process.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * qcow2 disks of VMs.
 *
 * <p>Invariant: a golden image is only ever used as the read-only backing file of linked clones;
 * VMs write to their own overlay. QEMU opens backing files read-only, and the image builder makes
 * golden images mode 0444. The same holds for instant-clone template bases
 * ({@code templates/<key>/disk.qcow2}, see {@code io.atrium.vmm.clone.InstantClones}): 0444, only ever
 * backing files.
 */
public final class Disks {

    private Disks() {
    }

    /** {@link #createLinkedClone(String, Path, Path)} with {@code qemu-img} from PATH. */
    public static void createLinkedClone(Path golden, Path overlay) {
        createLinkedClone(VmmProperties.DEFAULT_QEMU_IMG, golden, overlay);
    }

    /**
     * Creates {@code overlay} as a qcow2 copy-on-write clone backed by {@code golden}
     * ({@code qemu-img create -f qcow2 -F qcow2 -b <golden> <overlay>}). Takes tens of ms.
     *
     * @throws VmmException with qemu-img's message if it fails, or if overlay already exists
     */
    public static void createLinkedClone(String qemuImg, Path golden, Path overlay) {
        Path base = golden.toAbsolutePath().normalize();
        Path target = overlay.toAbsolutePath().normalize();
        if (!Files.isRegularFile(base)) {
            throw new VmmException("golden image " + base + " does not exist");
        }
        if (Files.exists(target)) {
            throw new VmmException("overlay " + target + " already exists");
        }
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new VmmException("cannot create directory for overlay " + target + ": " + e.getMessage(), e);
        }
        ProcessRunner.run(Command.of(qemuImg, "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base.toString(),
                target.toString()).mergingErrors().withTimeout(Duration.ofSeconds(60)));
    }

    /**
     * Gives a UEFI VM its own variable store: a copy of {@code template} (the firmware's, or a version's, 0444) at
     * {@code target}, mode 0600, unless it already has one (a personal desktop keeps its boot entries).
     */
    public static void createVarStore(Path template, Path target) {
        if (Files.exists(target)) {
            return;
        }
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.copy(template, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new VmmException("cannot create the UEFI variable store " + target + " from " + template + ": "
                    + e.getMessage(), e);
        }
    }

    /** Deletes a disk (overlay) if it exists. Never call it on a golden image. */
    public static void delete(Path disk) {
        try {
            Files.deleteIfExists(disk);
        } catch (IOException e) {
            throw new VmmException("cannot delete disk " + disk + ": " + e.getMessage(), e);
        }
    }
}
