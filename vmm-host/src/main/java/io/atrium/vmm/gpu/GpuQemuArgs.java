package io.atrium.vmm.gpu;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * QEMU arguments that give a VM its GPU slice. Pure functions: nothing is created on the host.
 *
 * <ul>
 *   <li>A whole GPU ({@link GpuMode#NONE}, profile {@value GpuPool#FULL_PROFILE}) is passed through with VFIO:
 *       {@code -device vfio-pci,host=0000:00:06.0,id=gpu-<slice id>}. The GPU must be bound to
 *       {@code vfio-pci} on the host.</li>
 *   <li>A MIG or time-sliced slice is a vGPU mediated device whose UUID is the slice id:
 *       {@code -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/<slice id>,id=gpu-<slice id>}. The host's NVIDIA
 *       vGPU manager tooling must have created that mdev (of the type matching the profile) before the VM
 *       starts.</li>
 *   <li>A simulated slice has no device and yields no arguments.</li>
 * </ul>
 */
public final class GpuQemuArgs {

    /** Where the kernel lists mediated devices. */
    public static final String MDEV_DEVICES = "/sys/bus/mdev/devices/";

    private static final Pattern BUS_ID =
            Pattern.compile("^([0-9A-Fa-f]{4,8}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})\\.([0-7])$");

    private static final Pattern UUID_TEXT = Pattern.compile(
            "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$");

    private GpuQemuArgs() {
    }

    /**
     * Arguments for {@code slice} held on {@code gpu}, one list element per command-line argument.
     *
     * @throws IllegalArgumentException when the slice is not on that GPU, a vGPU slice id is not a UUID, or the
     *                                  GPU's PCI bus id cannot be read
     */
    public static List<String> forSlice(GpuSlice slice, GpuDevice gpu) {
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(gpu, "gpu");
        if (slice.gpuIndex() != gpu.index() || !slice.gpuUuid().equals(gpu.uuid())) {
            throw new IllegalArgumentException("slice " + slice.id() + " is on GPU " + slice.gpuIndex() + " ("
                    + slice.gpuUuid() + "), not GPU " + gpu.index() + " (" + gpu.uuid() + ")");
        }
        if (slice.simulated() || gpu.simulated()) {
            return List.of();
        }
        String id = "gpu-" + slice.id();
        return switch (slice.mode()) {
            case NONE -> List.of("-device", "vfio-pci,host=" + qemuHostAddress(gpu.pciBusId()) + ",id=" + id);
            case MIG, TIME_SLICED -> List.of("-device",
                    "vfio-pci,sysfsdev=" + MDEV_DEVICES + mdevUuid(slice) + ",id=" + id);
        };
    }

    /**
     * nvidia-smi's {@code 00000000:00:06.0} as the {@code dddd:bb:ss.f} address sysfs and QEMU use
     * ({@code 0000:00:06.0}).
     */
    public static String qemuHostAddress(String nvidiaBusId) {
        Matcher m = BUS_ID.matcher(nvidiaBusId == null ? "" : nvidiaBusId.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a PCI bus id: '" + nvidiaBusId + "'");
        }
        long domain = Long.parseLong(m.group(1), 16);
        if (domain > 0xFFFF) {
            throw new IllegalArgumentException("PCI domain of '" + nvidiaBusId + "' does not fit 16 bits");
        }
        return String.format(Locale.ROOT, "%04x:%s:%s.%s", domain, m.group(2).toLowerCase(Locale.ROOT),
                m.group(3).toLowerCase(Locale.ROOT), m.group(4));
    }

    private static String mdevUuid(GpuSlice slice) {
        if (!UUID_TEXT.matcher(slice.id()).matches()) {
            throw new IllegalArgumentException("slice id " + slice.id() + " is not a UUID, so it cannot name an mdev");
        }
        return slice.id().toLowerCase(Locale.ROOT);
    }
}
