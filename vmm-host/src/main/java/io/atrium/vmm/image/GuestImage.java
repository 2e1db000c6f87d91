package io.atrium.vmm.image;

import io.atrium.vmm.api.Firmware;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import io.atrium.vmm.qemu.RunDir;
import io.atrium.vmm.qemu.VmSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A guest image a VM can run: a built-in recipe in {@code dataDir/images/<hash>/}, or a version of the image
 * library (a disk that boots through its firmware). Immutable on disk once built.
 *
 * @param kernel the kernel ({@code vmlinuz}), or {@code null} for a disk-boot image
 * @param initrd the initramfs ({@code initrd.img}, cpio newc, gzip); {@code null} for a disk-boot image
 * @param goldenDisk the read-only (mode 0444) qcow2 base of the VMs' linked clones
 *     ({@code golden.qcow2}); never attach it to a VM directly
 * @param hash content hash of the image inputs; also the directory name
 * @param defaultAppend kernel command line without the per-VM hostname
 * @param name image name ({@code console}, {@code x-desktop})
 * @param memoryMb recommended (and minimum) guest RAM in MiB
 * @param tcgOptions extra {@code -accel tcg,...} properties the image wants under TCG, e.g.
 *     {@code tb-size=64}; empty for none
 * @param readyMarker serial-console text the guest prints when its desktop is ready for a user
 *     (instant-clone templates are saved right after it appeared)
 * @param guestAgent the image runs the QEMU guest agent ({@code qemu-ga}) on the virtio-serial port
 *     {@code org.qemu.guest_agent.0}: its VMs get that channel ({@code VmSpec.guestAgent}), and
 *     the guest prints {@link #GUEST_AGENT_STARTED} on serial when it started the agent (built-in images)
 * @param firmware the firmware it boots under ({@link Firmware#BIOS} for every kernel-boot image)
 * @param firmwareCode the UEFI firmware code (read-only), for {@link Firmware#UEFI} only
 * @param efiVars the UEFI variable store template (0444) each VM copies, for {@link Firmware#UEFI} only
 * @param identity how an instant clone of it gets its own hostname and MAC ({@link Identity#NONE}: it cannot be
 *     instant-cloned, only cold-booted)
 * @param vdagent the image runs {@code spice-vdagent} for the clipboard on the port {@code com.redhat.spice.0}:
 *     its VMs get that port ({@code VmSpec.vdagent}, hot-plugged once they run), and the guest prints
 *     {@link #CLIPBOARD_AGENT_READY} on serial when the agent is ready on it
 */
public record GuestImage(Path kernel, Path initrd, Path goldenDisk, String hash, String defaultAppend,
        String name, int memoryMb, String tcgOptions, String readyMarker, boolean guestAgent, Firmware firmware,
        Path firmwareCode, Path efiVars, Identity identity, boolean vdagent) {

    /** How a restored clone learns who it is. */
    public enum Identity {
        /** Atrium's busybox agent on the second serial port ({@code identity <hostname> <mac>}): built-in images. */
        ATRIUM_AGENT,
        /** The QEMU guest agent: hostname, MAC ({@code ip link}) and clock through {@code guest-exec}. */
        GUEST_AGENT,
        /** Neither: the image can only be cold-booted. */
        NONE
    }

    /** Ready marker of the console guest: its login shell on tty1 has read /etc/profile. */
    public static final String CONSOLE_READY = "atrium-init: shell ready on /dev/tty1";
    /** Printed on serial by the guest agent (console and X images) once it listens on ttyS1. */
    public static final String AGENT_READY = "atrium-agent: listening on /dev/ttyS1";
    /**
     * Printed on serial by the X desktop's {@code /sbin/atrium-init} when it started {@code qemu-ga}
     * on the guest agent channel (only images with {@link #guestAgent()}; the agent answers shortly
     * after).
     */
    public static final String GUEST_AGENT_STARTED = "atrium-init: qemu-ga started on /dev/virtio-ports/org.qemu.guest_agent.0";
    /**
     * Printed on serial by the X desktop's session when its clipboard agent ({@code spice-vdagent}) is ready on the
     * vdagent port (only images with {@link #vdagent()}, once the host plugged the port): its daemon opened the port
     * and announced itself to QEMU, the clipboard works from then on.
     */
    public static final String CLIPBOARD_AGENT_READY = "atrium-x: spice-vdagent ready on /dev/virtio-ports/com.redhat.spice.0";

    public GuestImage {
        if ((kernel == null) != (initrd == null)) {
            throw new IllegalArgumentException("a kernel and an initrd go together");
        }
        Objects.requireNonNull(goldenDisk, "goldenDisk");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(defaultAppend, "defaultAppend");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tcgOptions, "tcgOptions");
        Objects.requireNonNull(readyMarker, "readyMarker");
        if (memoryMb < 64) {
            throw new IllegalArgumentException("memoryMb must be at least 64: " + memoryMb);
        }
        firmware = firmware == null ? Firmware.BIOS : firmware;
        Objects.requireNonNull(identity, "identity");
        if (kernel != null && (firmware != Firmware.BIOS || identity != Identity.ATRIUM_AGENT)) {
            throw new IllegalArgumentException("kernel-boot images run under BIOS with Atrium's agent");
        }
        if (kernel == null && !defaultAppend.isEmpty()) {
            throw new IllegalArgumentException("a disk-boot image has no kernel command line");
        }
        if ((firmware == Firmware.UEFI) != (firmwareCode != null && efiVars != null)
                || (firmware == Firmware.BIOS && (firmwareCode != null || efiVars != null))) {
            throw new IllegalArgumentException("UEFI images need the firmware code and a variable store template");
        }
        if (identity == Identity.GUEST_AGENT && !guestAgent) {
            throw new IllegalArgumentException("identity through the guest agent needs the guest agent channel");
        }
        if (vdagent && !guestAgent) {
            // the vdagent port is hot-plugged onto the guest agent's virtio-serial controller, which a template's
            // golden VM must already have
            throw new IllegalArgumentException("an image with the vdagent needs the guest agent channel too");
        }
    }

    /** A built-in kernel-boot image (BIOS, Atrium's agent). */
    public GuestImage(Path kernel, Path initrd, Path goldenDisk, String hash, String defaultAppend,
            String name, int memoryMb, String tcgOptions, String readyMarker, boolean guestAgent) {
        this(kernel, initrd, goldenDisk, hash, defaultAppend, name, memoryMb, tcgOptions, readyMarker, guestAgent,
                Firmware.BIOS, null, null, Identity.ATRIUM_AGENT, false);
    }

    /** A built-in kernel-boot image (BIOS, Atrium's agent), with or without the clipboard agent. */
    public GuestImage(Path kernel, Path initrd, Path goldenDisk, String hash, String defaultAppend,
            String name, int memoryMb, String tcgOptions, String readyMarker, boolean guestAgent, boolean vdagent) {
        this(kernel, initrd, goldenDisk, hash, defaultAppend, name, memoryMb, tcgOptions, readyMarker, guestAgent,
                Firmware.BIOS, null, null, Identity.ATRIUM_AGENT, vdagent);
    }

    /**
     * A disk that boots through its firmware (a library version). It has no serial ready marker; with
     * {@code guestAgent} its clones get their identity through the QEMU guest agent, without it it can only be
     * cold-booted.
     */
    public static GuestImage diskBoot(String name, String hash, Path goldenDisk, int memoryMb, Firmware firmware,
            Path firmwareCode, Path efiVars, boolean guestAgent) {
        return new GuestImage(null, null, goldenDisk, hash, "", name, memoryMb, "", "", guestAgent, firmware,
                firmware == Firmware.UEFI ? firmwareCode : null, firmware == Firmware.UEFI ? efiVars : null,
                guestAgent ? Identity.GUEST_AGENT : Identity.NONE, false);
    }

    /**
     * A VM of this image named {@code vmName} in {@code runDir}: its disk the overlay {@link RunDir#overlay()}, its
     * kernel and {@code append} (kernel-boot images), or its firmware (disk-boot images; UEFI with the VM's own
     * variable store {@link RunDir#efiVars()}), the image's memory, TCG options and guest agent channel. vCPUs, MAC
     * and the rest are the caller's to set on the builder.
     */
    public VmSpec.Builder vmSpec(String vmName, String append, ResolvedAccelerator accel, Path runDir) {
        RunDir dir = RunDir.of(runDir);
        VmSpec.Builder spec = VmSpec.builder().name(vmName).accel(accel).memoryMb(memoryMb)
                .accelOptions(accel.isKvm() ? "" : tcgOptions).guestAgent(guestAgent).vdagent(vdagent).disk(dir.overlay())
                .runDir(dir.dir()).firmware(firmware);
        if (!bootsFromDisk()) {
            spec.kernel(kernel).initrd(initrd).append(append);
        }
        if (firmware == Firmware.UEFI) {
            spec.firmwareCode(firmwareCode).efiVars(dir.efiVars());
        }
        return spec;
    }

    /** Whether it boots from its disk through the firmware (no kernel of its own). */
    public boolean bootsFromDisk() {
        return kernel == null;
    }

    /** Whether an instant clone of it can be given its own identity (otherwise it is only cold-booted). */
    public boolean instantCloneCapable() {
        return identity != Identity.NONE;
    }

    /**
     * A console-guest image (256 MiB, no TCG options, ready at {@link #CONSOLE_READY}, no QEMU guest
     * agent, no vdagent).
     */
    public GuestImage(Path kernel, Path initrd, Path goldenDisk, String hash, String defaultAppend) {
        this(kernel, initrd, goldenDisk, hash, defaultAppend, GuestImages.CONSOLE, 256, "", CONSOLE_READY, false, false);
    }

    /** The image directory, {@code dataDir/images/<hash>} (or a library version's directory). */
    public Path directory() {
        return goldenDisk.getParent();
    }

    /** {@code manifest.json}: what the image was built from. */
    public Path manifest() {
        return directory().resolve("manifest.json");
    }

    /**
     * The kernel command line for a VM: {@link #defaultAppend()} plus {@code atrium.hostname=<hostname>}; empty for a
     * disk-boot image (its bootloader has its own).
     */
    public String appendFor(String hostname) {
        return bootsFromDisk() ? "" : defaultAppend + " atrium.hostname=" + hostname;
    }
}
