package io.atrium.vmm.library;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.api.BootTestRequest;
import io.atrium.vmm.api.BootTestResult;
import io.atrium.vmm.clone.GuestReadiness;
import io.atrium.vmm.clone.InstantClones;
import io.atrium.vmm.clone.Template;
import io.atrium.vmm.disk.DirectoryCache;
import io.atrium.vmm.disk.Disks;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import io.atrium.vmm.qemu.RunDir;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.qga.QgaClient;
import java.util.ArrayList;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The boot test of a committed version: it is <i>ready</i> only after it booted under this host's accelerator to
 * its first real frame ({@link GuestReadiness}: not a firmware or bootloader screen) within the time limit and, when
 * its QEMU guest agent answered, its instant-clone template was saved. A version whose agent never answers passes
 * as cold-boot only (no template). The test VM ({@code bt-<hash>}) always gets the guest agent channel, runs on a
 * fresh overlay and is removed with its run directory afterwards.
 */
public final class BootTest {
    private static final Logger log = LoggerFactory.getLogger(BootTest.class);

    private final LibraryStore store;
    private final VmmProperties properties;
    private final ResolvedAccelerator accel;
    private final QemuLauncher launcher;
    private final InstantClones clones;

    public BootTest(LibraryStore store, VmmProperties properties, ResolvedAccelerator accel, QemuLauncher launcher,
                    InstantClones clones) {
        this.store = Objects.requireNonNull(store, "store");
        this.properties = Objects.requireNonNull(properties, "properties");
        this.accel = Objects.requireNonNull(accel, "accel");
        this.launcher = Objects.requireNonNull(launcher, "launcher");
        this.clones = Objects.requireNonNull(clones, "clones");
    }

    public BootTestResult run(BootTestRequest request) {
        String id = request.versionId();
        List<String> lines = new ArrayList<>();
        LibraryStore.StoredVersion v = store.find(id).orElse(null);
        if (v == null || v.kind() != LibraryStore.StoredVersion.Kind.DISK) {
            return new BootTestResult.Failed(id, v == null ? "this host has no version " + id
                    : "version " + id + " is not a committed disk", lines);
        }
        GuestImage probe = store.guestImage(v, true);
        int memory = Math.max(request.memoryMb(), v.memoryMb());
        RunDir run = RunDir.of(properties, "bt-" + sha256(id).substring(0, 12));
        DirectoryCache.deleteTree(run.dir());
        VmSpec spec = probe.vmSpec(run.vmName(), "", accel, run.dir()).vcpus(request.vcpus()).memoryMb(memory).build();
        GuestReadiness.Report report;
        String os = "";
        long start = System.nanoTime();
        lines.add("boot test under " + accel.accel() + " (" + accel.reason() + "), " + v.firmware() + ", "
                + memory + " MiB, limit " + request.timeout().toSeconds() + " s");
        try {
            Disks.createLinkedClone(properties.qemuImgBinary(), v.golden(), spec.disk());
            if (spec.efiVars() != null) {
                Disks.createVarStore(v.efiVars(), spec.efiVars());
            }
            try (QemuVm vm = launcher.start(spec)) {
                report = GuestReadiness.await(vm, true, request.timeout(), store.limits().agentGrace());
                if (report.agent()) {
                    os = osOf(vm);
                }
            }
        } catch (VmmException e) {
            lines.add("no first real frame: " + e.getMessage().lines().findFirst().orElse(""));
            return new BootTestResult.Failed(id, e.getMessage().lines().findFirst().orElse("boot test failed"), lines);
        } finally {
            DirectoryCache.deleteTree(run.dir());
        }
        lines.add("first real frame after " + report.frameAfter().toMillis() + " ms: " + report.rule());
        // Atrium gives restored clones their identity through the agent with a POSIX shell and ip(8): Linux only
        boolean identity = report.agent() && os.equals("linux");
        if (report.agent() && !identity) {
            lines.add("the guest agent answers, but the guest is '" + os + "': restored clones of it cannot be given "
                    + "their identity yet, so it is cold-booted (generalise it with sysprep; see the vmm-host README)");
        }
        LibraryStore.StoredVersion tested = store.recordBootTest(id, identity, report.frameAfter().toMillis());
        if (identity) {
            lines.add("guest agent answered after " + report.agentAfter().toMillis() + " ms: instant clones possible");
            try {
                Template template = clones.prepare(v.imageName(), store.guestImage(tested, false), request.vcpus(),
                        memory);
                lines.add("instant-clone template " + template.key() + " saved ("
                        + (System.nanoTime() - start) / 1_000_000 + " ms since the boot test started)");
            } catch (VmmException e) {
                lines.add("the template was not saved: " + e.getMessage().lines().findFirst().orElse(""));
                return new BootTestResult.Failed(id, "its instant-clone template could not be saved: "
                        + e.getMessage().lines().findFirst().orElse(""), lines);
            }
        } else {
            lines.add("no QEMU guest agent: this version can only be cold-booted (no template)");
        }
        log.info("version {} passed its boot test ({} ms to the first real frame, agent {})", id,
                report.frameAfter().toMillis(), report.agent());
        return new BootTestResult.Passed(id, report.agent(), report.frameAfter().toMillis(), report.rule(), lines);
    }

    /**
     * What the guest is, from {@code guest-get-osinfo}: {@code windows} (its id is {@code mswindows}), {@code linux}
     * (a kernel name or an OS name with "Linux" in it: qemu-ga 7.2 on Linux sends no kernel name), else its id.
     */
    private static String osOf(QemuVm vm) {
        try (QgaClient qga = QgaClient.connect(vm.layout().qgaSocket(), java.time.Duration.ofSeconds(20))) {
            tools.jackson.databind.JsonNode info = qga.execute("guest-get-osinfo", java.util.Map.of());
            String id = info.path("id").asString("").toLowerCase(java.util.Locale.ROOT);
            String kernel = info.path("kernel-name").asString("").toLowerCase(java.util.Locale.ROOT);
            String name = info.path("name").asString("").toLowerCase(java.util.Locale.ROOT);
            if (id.equals("mswindows") || kernel.contains("windows") || name.contains("windows")) {
                return "windows";
            }
            if (kernel.startsWith("linux") || name.contains("linux")) {
                return "linux";
            }
            return id.isEmpty() ? "unknown" : id.replaceAll("[^a-z0-9._-]", "");
        } catch (VmmException e) {
            return "unknown";
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
