package io.atrium.vmm.image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A built guest image in {@code dataDir/images/<hash>/}. Immutable on disk once built.
 *
 * @param kernel the kernel ({@code vmlinuz})
 * @param initrd the initramfs ({@code initrd.img}, cpio newc, gzip)
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
 *     the guest prints {@link #GUEST_AGENT_STARTED} on serial when it started the agent
 * @param vdagent the image runs {@code spice-vdagent} for the clipboard on the port {@code com.redhat.spice.0}:
 *     its VMs get that port ({@code VmSpec.vdagent}, hot-plugged once they run), and the guest prints
 *     {@link #CLIPBOARD_AGENT_READY} on serial when the agent is ready on it
 */
public record GuestImage(Path kernel, Path initrd, Path goldenDisk, String hash, String defaultAppend,
        String name, int memoryMb, String tcgOptions, String readyMarker, boolean guestAgent, boolean vdagent) {

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
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(goldenDisk, "goldenDisk");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(defaultAppend, "defaultAppend");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tcgOptions, "tcgOptions");
        Objects.requireNonNull(readyMarker, "readyMarker");
        if (memoryMb < 64) {
            throw new IllegalArgumentException("memoryMb must be at least 64: " + memoryMb);
        }
        if (vdagent && !guestAgent) {
            // the vdagent port is hot-plugged onto the guest agent's virtio-serial controller, which a template's
            // golden VM must already have
            throw new IllegalArgumentException("an image with the vdagent needs the guest agent channel too");
        }
    }

    /**
     * A console-guest image (256 MiB, no TCG options, ready at {@link #CONSOLE_READY}, no QEMU guest
     * agent, no vdagent).
     */
    public GuestImage(Path kernel, Path initrd, Path goldenDisk, String hash, String defaultAppend) {
        this(kernel, initrd, goldenDisk, hash, defaultAppend, GuestImages.CONSOLE, 256, "", CONSOLE_READY, false, false);
    }

    /** The image directory, {@code dataDir/images/<hash>}. */
    public Path directory() {
        return kernel.getParent();
    }

    /** {@code manifest.json}: what the image was built from. */
    public Path manifest() {
        return directory().resolve("manifest.json");
    }

    /** The kernel command line for a VM: {@link #defaultAppend()} plus {@code atrium.hostname=<hostname>}. */
    public String appendFor(String hostname) {
        return defaultAppend + " atrium.hostname=" + hostname;
    }
}
