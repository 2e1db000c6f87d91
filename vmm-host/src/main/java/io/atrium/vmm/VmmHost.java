package io.atrium.vmm;

import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.image.GuestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Facade of the VMM host: the resolved accelerator, the guest images and the QEMU launcher.
 *
 * <p>Typical use by the broker: {@code QemuVm vm = host.startConsole("desk-42");} — builds (or
 * reuses) the console image, creates the VM's linked-clone overlay
 * {@code dataDir/run/desk-42/disk.qcow2} over the read-only golden image and starts QEMU.
 */
public final class VmmHost implements AutoCloseable {

    /** File name of a VM's disk overlay in its run directory. */
    public static final String OVERLAY_FILE = "disk.qcow2";

    private final VmmProperties properties;
    private final ResolvedAccelerator accelerator;
    private final GuestImages images;
    private final QemuLauncher launcher;

    public VmmHost(VmmProperties properties, ResolvedAccelerator accelerator, GuestImages images,
            QemuLauncher launcher) {
        this.properties = Objects.requireNonNull(properties, "properties");
        this.accelerator = Objects.requireNonNull(accelerator, "accelerator");
        this.images = Objects.requireNonNull(images, "images");
        this.launcher = Objects.requireNonNull(launcher, "launcher");
    }

    /** A host for use without Spring: probes the accelerator and creates images and launcher. */
    public static VmmHost create(VmmProperties properties) {
        ResolvedAccelerator accel = new AcceleratorProbe().resolve(properties.accel());
        return new VmmHost(properties, accel, new GuestImages(properties), new QemuLauncher(properties));
    }

    public VmmProperties properties() {
        return properties;
    }

    public ResolvedAccelerator accelerator() {
        return accelerator;
    }

    public GuestImages images() {
        return images;
    }

    public QemuLauncher launcher() {
        return launcher;
    }

    /** {@code dataDir/run/<name>}. */
    public Path runDir(String vmName) {
        return properties.runDir().resolve(vmName).toAbsolutePath().normalize();
    }

    /**
     * A spec for a console-guest VM named {@code name}: image kernel/initrd, kernel command line
     * with {@code atrium.hostname=<name>}, the overlay {@code runDir/disk.qcow2}, this host's
     * accelerator; 1 vCPU, 256 MiB, random MAC (change them on the returned builder).
     */
    public VmSpec.Builder consoleSpec(String name) {
        GuestImage image = images.console();
        Path runDir = runDir(name);
        return VmSpec.builder().name(name).accel(accelerator).kernel(image.kernel()).initrd(image.initrd())
                .append(image.appendFor(name)).disk(runDir.resolve(OVERLAY_FILE)).runDir(runDir);
    }

    /** Starts a console-guest VM with a fresh linked clone (an existing overlay is reused). */
    public QemuVm startConsole(String name) {
        return start(consoleSpec(name).build());
    }

    /**
     * Starts a VM; if its disk (an overlay in the run directory) does not exist yet, it is created
     * as a linked clone of the console golden image first.
     */
    public QemuVm start(VmSpec spec) {
        if (spec.disk() != null && !Files.exists(spec.disk())) {
            Disks.createLinkedClone(properties.qemuImgBinary(), images.console().goldenDisk(), spec.disk());
        }
        return launcher.start(spec);
    }

    public QemuVm adopt(Path runDir) {
        return launcher.adopt(runDir);
    }

    public List<AdoptableVm> findRunning() {
        return launcher.findRunning();
    }

    @Override
    public void close() {
        launcher.close();
    }
}
