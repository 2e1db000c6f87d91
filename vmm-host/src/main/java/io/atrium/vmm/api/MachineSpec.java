package io.atrium.vmm.api;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What to run: one desktop machine, fully described by values (the broker computes everything, including the GPU
 * devices, before the call).
 *
 * @param name      machine name and guest hostname: a DNS label, lower case, at most 63 characters
 * @param mac       the NIC's MAC, {@code xx:xx:xx:xx:xx:xx}, unicast
 * @param image     the guest image (and version) to run
 * @param vcpus     virtual CPUs, 1..64
 * @param memoryMb  guest RAM in MiB, 64..1048576 (the host may raise it to the image's minimum)
 * @param disk      what to do with the machine's own disk
 * @param boot      how to bring it up
 * @param network   which network the NIC is attached to
 * @param gpu       a GPU slice to attach, or empty
 */
public record MachineSpec(String name, String mac, ImageRef image, int vcpus, int memoryMb, DiskPolicy disk,
                          BootMode boot, NetworkAttachment network, Optional<GpuAttachment> gpu) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");

    public MachineSpec {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("machine name must be a hostname label (a-z, 0-9, '-', max 63): " + name);
        }
        mac = Objects.requireNonNull(mac, "mac").toLowerCase(Locale.ROOT);
        if (!MAC.matcher(mac).matches() || (Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0) {
            throw new IllegalArgumentException("not a unicast MAC address: " + mac);
        }
        Objects.requireNonNull(image, "image");
        if (vcpus < 1 || vcpus > 64) {
            throw new IllegalArgumentException("vcpus must be 1..64, got " + vcpus);
        }
        if (memoryMb < 64 || memoryMb > 1024 * 1024) {
            throw new IllegalArgumentException("memoryMb must be 64..1048576, got " + memoryMb);
        }
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(boot, "boot");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(gpu, "gpu");
    }

    /**
     * A guest image by name and, optionally, version.
     *
     * @param name    image name ({@code console}, {@code x-desktop}, …)
     * @param version an immutable version id (content hash or library version), or empty for the image's current one
     */
    public record ImageRef(String name, Optional<String> version) {
        public ImageRef {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(version, "version");
            if (name.isBlank()) {
                throw new IllegalArgumentException("image name must not be blank");
            }
        }

        public static ImageRef of(String name) {
            return new ImageRef(name, Optional.empty());
        }
    }

    /** The machine's own disk (a qcow2 overlay over the image's read-only base). */
    public enum DiskPolicy {
        /** Discard any disk the machine had and start from a clean clone of the image (pooled desktops). */
        FRESH,
        /** Keep the disk the machine has (a personal desktop's); make a clean clone only if it has none. */
        KEEP
    }

    /** How the machine is brought up. */
    public enum BootMode {
        /**
         * Restore the image's saved running template when possible (a fresh disk and no GPU device), otherwise
         * boot cold.
         */
        INSTANT_CLONE_PREFERRED,
        /** Always boot cold. */
        COLD_BOOT
    }

    /**
     * The network the machine's NIC is attached to. The NIC keeps the machine's own MAC in every mode.
     *
     * <ul>
     *   <li>{@link NetworkMode#ISOLATED}: reaches nothing;</li>
     *   <li>{@link NetworkMode#NAT}: reaches the outside world through the host's guarded NAT uplink, never the host
     *       itself nor other desktops;</li>
     *   <li>{@link NetworkMode#LAB}: on the private segment {@code switchId} (one per pool) with the given
     *       addressing, optionally with NAT out.</li>
     * </ul>
     *
     * @param mode     the kind of network
     * @param switchId for {@link NetworkMode#LAB}: the switch, 1 to 8 characters {@code [a-z0-9]}; empty otherwise.
     *                 One switch has one {@link LabSegment}: new addressing comes with a new switch id
     * @param segment  for {@link NetworkMode#LAB}: the segment's addressing; empty otherwise
     */
    public record NetworkAttachment(NetworkMode mode, Optional<String> switchId, Optional<LabSegment> segment) {
        public static final NetworkAttachment ISOLATED =
                new NetworkAttachment(NetworkMode.ISOLATED, Optional.empty(), Optional.empty());
        public static final NetworkAttachment NAT =
                new NetworkAttachment(NetworkMode.NAT, Optional.empty(), Optional.empty());
        private static final Pattern SWITCH_ID = Pattern.compile("[a-z0-9]{1,8}");

        public NetworkAttachment {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(switchId, "switchId");
            Objects.requireNonNull(segment, "segment");
            if (mode == NetworkMode.LAB) {
                if (switchId.isEmpty() || segment.isEmpty()) {
                    throw new IllegalArgumentException("a lab network needs a switch id and a segment");
                }
                if (!SWITCH_ID.matcher(switchId.get()).matches()) {
                    throw new IllegalArgumentException("switch id must be 1 to 8 of [a-z0-9]: " + switchId.get());
                }
            } else if (switchId.isPresent() || segment.isPresent()) {
                throw new IllegalArgumentException("only a lab network has a switch and a segment");
            }
        }

        /** The lab switch {@code switchId} with its addressing. */
        public static NetworkAttachment lab(String switchId, LabSegment segment) {
            return new NetworkAttachment(NetworkMode.LAB, Optional.of(switchId), Optional.of(segment));
        }

        /** Whether {@code id} may name a switch. */
        public static boolean isSwitchId(String id) {
            return id != null && SWITCH_ID.matcher(id).matches();
        }
    }

    /** Kinds of desktop network. */
    public enum NetworkMode {
        /** A NIC that reaches nothing (user-mode networking, restricted). */
        ISOLATED,
        /** The outside world (DHCP, DNS, TCP/UDP out) through the host's NAT uplink; not the host, not other desktops. */
        NAT,
        /** A private L2 segment per pool (a lab vSwitch) with its own DHCP; optionally NAT out. */
        LAB
    }

    /**
     * A GPU slice reserved by the broker for this machine.
     *
     * @param sliceId  the broker's id of the slice (for logs)
     * @param qemuArgs the QEMU device arguments that attach it (VFIO or mdev), computed by the broker
     */
    public record GpuAttachment(String sliceId, List<String> qemuArgs) {
        public GpuAttachment {
            Objects.requireNonNull(sliceId, "sliceId");
            qemuArgs = List.copyOf(qemuArgs);
        }
    }
}
