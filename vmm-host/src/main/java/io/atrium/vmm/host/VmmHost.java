package io.atrium.vmm.host;

import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.clone.InstantClones;
import io.atrium.vmm.clone.Template;
import io.atrium.vmm.disk.Disks;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.library.LibraryProperties;
import io.atrium.vmm.library.LibraryStore;
import io.atrium.vmm.qemu.AcceleratorProbe;
import io.atrium.vmm.qemu.AdoptableVm;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import io.atrium.vmm.qemu.RunDir;
import io.atrium.vmm.qemu.VmSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Facade of the VMM host: the resolved accelerator, the guest images and the QEMU launcher.
 *
 * <p>Typical use by the broker: {@code QemuVm vm = host.startConsole("desk-42");} — builds (or
 * reuses) the console image, creates the VM's linked-clone overlay ({@link RunDir#overlay()} of
 * {@code dataDir/run/desk-42}) over the read-only golden image and starts QEMU.
 */
public final class VmmHost implements AutoCloseable {

    private final VmmProperties properties;
    private final ResolvedAccelerator accelerator;
    private final GuestImages images;
    private final QemuLauncher launcher;
    private final InstantClones instantClones;
    private final LibraryStore library;

    public VmmHost(VmmProperties properties, ResolvedAccelerator accelerator, GuestImages images,
            QemuLauncher launcher) {
        this(properties, accelerator, images, launcher, LibraryProperties.defaults());
    }

    /** @param libraryProperties limits and firmware of the image library ({@code atrium.vmm.library.*}) */
    public VmmHost(VmmProperties properties, ResolvedAccelerator accelerator, GuestImages images,
            QemuLauncher launcher, LibraryProperties libraryProperties) {
        this.properties = Objects.requireNonNull(properties, "properties");
        this.accelerator = Objects.requireNonNull(accelerator, "accelerator");
        this.images = Objects.requireNonNull(images, "images");
        this.launcher = Objects.requireNonNull(launcher, "launcher");
        this.instantClones = new InstantClones(properties, accelerator, launcher, images.progress());
        this.library = new LibraryStore(properties, libraryProperties);
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

    /** The image library's files on this host (staging, versions). */
    public LibraryStore library() {
        return library;
    }

    /** {@code dataDir/run/<name>}, absolute (its files: {@link RunDir}). */
    public Path runDir(String vmName) {
        return RunDir.of(properties, vmName).dir();
    }

    /**
     * A spec for a console-guest VM named {@code name}: image kernel/initrd, kernel command line
     * with {@code atrium.hostname=<name>}, the overlay {@link RunDir#overlay()}, this host's
     * accelerator; 1 vCPU, 256 MiB, random MAC (change them on the returned builder).
     */
    public VmSpec.Builder consoleSpec(String name) {
        GuestImage image = images.console();
        Path runDir = runDir(name);
        return VmSpec.builder().name(name).accel(accelerator).kernel(image.kernel()).initrd(image.initrd())
                .append(image.appendFor(name)).disk(RunDir.of(runDir).overlay()).runDir(runDir);
    }

    /**
     * A spec for a VM of the image called {@code imageName} ({@link GuestImages#byName}): its
     * kernel/initrd, {@code atrium.hostname=<vmName>}, the overlay {@link RunDir#overlay()}, the
     * image's recommended memory, under TCG its accelerator options (e.g. {@code tb-size=64} for the
     * X desktop), and the QEMU guest agent channel if the image runs {@code qemu-ga}
     * ({@link GuestImage#guestAgent()}). Start it with {@link #start(VmSpec)}, which clones that
     * image's golden disk.
     */
    public VmSpec.Builder specFor(String imageName, String vmName) {
        return specFor(images.byName(imageName), vmName);
    }

    /** {@link #specFor(String, String)} for any image, built-in or a library version ({@link GuestImage#vmSpec}). */
    public VmSpec.Builder specFor(GuestImage image, String vmName) {
        return image.vmSpec(vmName, image.appendFor(vmName), accelerator, runDir(vmName));
    }

    /** Instant clones of this host (templates in {@code dataDir/templates}). */
    public InstantClones instantClones() {
        return instantClones;
    }

    /**
     * The instant-clone template of the image called {@code imageName} (1 vCPU, the image's
     * memory), prepared on first call by booting a golden VM once; cached on disk afterwards.
     */
    public Template prepareTemplate(String imageName) {
        return instantClones.prepare(images.byName(imageName));
    }

    /**
     * Starts desktop {@code name} from {@code template} with its own hostname ({@code name}) and
     * MAC; returns once the guest confirmed both. See {@link InstantClones#startFromTemplate}.
     */
    public QemuVm startFromTemplate(Template template, String name, String macAddress) {
        return instantClones.startFromTemplate(template, name, macAddress);
    }

    /** Refresh on logoff: kill, discard the overlay, start again from the template (same name and MAC). */
    public QemuVm refresh(Template template, QemuVm clone) {
        return instantClones.refresh(template, clone);
    }

    /** Starts a console-guest VM with a fresh linked clone (an existing overlay is reused). */
    public QemuVm startConsole(String name) {
        return start(consoleSpec(name).build());
    }

    /**
     * Starts a VM; if its disk (an overlay in the run directory) does not exist yet, it is created
     * as a linked clone of the golden image whose kernel the spec boots (the console image's, unless
     * the spec boots the X desktop kernel).
     */
    public QemuVm start(VmSpec spec) {
        if (spec.incoming()) {
            throw new IllegalArgumentException("start instant clones with startFromTemplate");
        }
        if (spec.disk() != null && !Files.exists(spec.disk())) {
            if (spec.bootsFromDisk()) {
                throw new IllegalArgumentException("disk " + spec.disk() + " does not exist: a disk-boot VM's overlay"
                        + " is made from its image first");
            }
            Path golden = spec.kernel().getParent().resolve("golden.qcow2");
            if (!Files.isRegularFile(golden)) {
                golden = images.console().goldenDisk();
            }
            Disks.createLinkedClone(properties.qemuImgBinary(), golden, spec.disk());
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
