package io.atrium.vmm.clone;

import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.qemu.NetBackend;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import io.atrium.vmm.qemu.RunDir;
import io.atrium.vmm.qemu.VmSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A prepared instant-clone template: the saved running state of a golden VM and the disk state at
 * the same instant. Made by {@link InstantClones#prepare}; lives in
 * {@code dataDir/templates/<image-hash>-<spec-hash>/}.
 *
 * <p>Invariants: {@link #baseDisk()} is mode 0444 and only ever the read-only backing file of
 * clone overlays, so every clone's overlay starts exactly at the disk state that
 * {@link #stateFile()} (the guest memory and device state) expects. A template directory is
 * complete once it exists (built in a temporary directory and renamed into place).
 *
 * @param key directory name, {@code <image-hash prefix>-<spec hash prefix>}
 * @param image the guest image the golden VM booted
 * @param directory {@code dataDir/templates/<key>}
 * @param vcpus vCPUs of the golden VM; every clone has the same
 * @param memoryMb RAM of the golden VM; every clone has the same
 * @param accel accelerator the state was saved under; clones must use the same
 * @param accelOptions {@code -accel} properties of the golden VM (e.g. {@code tb-size=64})
 * @param append kernel command line of the golden VM (clones keep it: the kernel is not re-read)
 * @param goldenName hostname the golden VM booted with, before clones get their own
 * @param guestAgent the golden VM had the QEMU guest agent channel ({@link VmSpec#guestAgent()});
 *     every clone has it too (a clone has exactly its template's devices)
 * @param vdagent clones get the SPICE vdagent port ({@link VmSpec#vdagent()}) once their state is restored; the
 *     golden VM never has it (QEMU 7.2 cannot migrate it), so the saved state is the same either way
 */
public record Template(String key, GuestImage image, Path directory, int vcpus, int memoryMb,
        ResolvedAccelerator accel, String accelOptions, String append, String goldenName, boolean guestAgent,
        boolean vdagent) {

    /** File name of the saved state (a QEMU migration stream) in the template directory. */
    public static final String STATE_FILE = "state";
    /** File name of the read-only base disk in the template directory. */
    public static final String BASE_DISK = "disk.qcow2";
    /** File name of the description, written last. */
    public static final String DESCRIPTION = "template.json";

    public Template {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(accel, "accel");
        Objects.requireNonNull(accelOptions, "accelOptions");
        Objects.requireNonNull(append, "append");
        Objects.requireNonNull(goldenName, "goldenName");
    }

    /** The saved memory and device state (QEMU migration stream), {@code state}. */
    public Path stateFile() {
        return directory.resolve(STATE_FILE);
    }

    /** The disk at the instant the state was saved, mode 0444, {@code disk.qcow2}. */
    public Path baseDisk() {
        return directory.resolve(BASE_DISK);
    }

    /** {@link #cloneSpec(String, String, Path, NetBackend)} with an isolated NIC. */
    public VmSpec cloneSpec(String name, String macAddress, Path runDir) {
        return cloneSpec(name, macAddress, runDir, new NetBackend.Restricted());
    }

    /**
     * The spec of a clone: the golden VM's machine (same devices, including the guest agent
     * channel, vCPUs, memory, kernel, append) with its own name, run directory, overlay, MAC and
     * NIC backend, started with {@code -incoming defer}, and a new VM generation id (a disk-boot image's clone also
     * gets its own UEFI variable store, which the restored state overwrites). The golden VM's NIC was unplugged
     * ({@link NetBackend.Unplugged}, no saved state), so any backend restores.
     */
    public VmSpec cloneSpec(String name, String macAddress, Path runDir, NetBackend network) {
        return image.vmSpec(name, append, accel, runDir).vcpus(vcpus).memoryMb(memoryMb).accelOptions(accelOptions)
                .guestAgent(guestAgent).macAddress(macAddress).incoming(true).vdagent(vdagent).network(network).build();
    }
}
