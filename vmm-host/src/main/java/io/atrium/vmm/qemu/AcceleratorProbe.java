package io.atrium.vmm.qemu;

import io.atrium.vmm.Accelerator;
import io.atrium.vmm.VmmException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides between KVM and TCG.
 *
 * <p>The rule: {@link Accelerator#AUTO} picks KVM only when {@code /dev/kvm} can be opened
 * read/write <em>and</em> it is backed by a hardware KVM module ({@code kvm_intel} or
 * {@code kvm_amd} under {@code /sys/module}) <em>and</em> the software nested KVM {@code kvm_pvm}
 * is not loaded (Linux guests hang in early boot on it and {@code -cpu host} aborts). Otherwise
 * TCG. Requesting {@link Accelerator#KVM} explicitly where it is unusable is an error; requesting
 * {@link Accelerator#TCG} always works.
 *
 * <p>The filesystem root is injectable so the rule can be unit tested against a fake
 * {@code dev/} and {@code sys/module/} tree.
 */
public final class AcceleratorProbe {

    private static final Logger log = LoggerFactory.getLogger(AcceleratorProbe.class);

    private final Path root;

    /** Probes the real host ({@code /dev}, {@code /sys}). */
    public AcceleratorProbe() {
        this(Path.of("/"));
    }

    /** Probes {@code root/dev/kvm} and {@code root/sys/module/*} (for tests). */
    public AcceleratorProbe(Path root) {
        this.root = Objects.requireNonNull(root, "root");
    }

    /**
     * Resolves the requested accelerator and logs the decision at INFO.
     *
     * @throws VmmException if {@link Accelerator#KVM} is requested but not usable here
     */
    public ResolvedAccelerator resolve(Accelerator requested) {
        Objects.requireNonNull(requested, "requested");
        ResolvedAccelerator resolved = switch (requested) {
            case TCG -> ResolvedAccelerator.tcg("TCG requested by configuration (atrium.vmm.accel=TCG)");
            case KVM -> {
                Optional<String> problem = kvmProblem();
                if (problem.isPresent()) {
                    throw new VmmException("KVM requested (atrium.vmm.accel=KVM) but it is not usable: "
                            + problem.get() + "; use atrium.vmm.accel=AUTO or TCG");
                }
                yield ResolvedAccelerator.kvm("KVM requested by configuration and usable (" + hardwareModule() + ")");
            }
            case AUTO -> kvmProblem()
                    .map(p -> ResolvedAccelerator.tcg("AUTO chose TCG: " + p))
                    .orElseGet(() -> ResolvedAccelerator.kvm(
                            "AUTO chose KVM: /dev/kvm is read/write and backed by " + hardwareModule()));
        };
        log.info("QEMU accelerator: {} ({})", resolved.accel(), resolved.reason());
        return resolved;
    }

    /** Why KVM cannot be used here, or empty if it can. */
    Optional<String> kvmProblem() {
        Path dev = root.resolve("dev/kvm");
        if (!Files.exists(dev)) {
            return Optional.of(dev + " does not exist");
        }
        try (FileChannel ignored = FileChannel.open(dev, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // opened read/write: usable as far as permissions go
        } catch (IOException | SecurityException e) {
            return Optional.of(dev + " cannot be opened read/write (" + e.getMessage() + ")");
        }
        Path modules = root.resolve("sys/module");
        if (Files.exists(modules.resolve("kvm_pvm"))) {
            return Optional.of(dev + " is the software nested KVM kvm_pvm (" + modules.resolve("kvm_pvm")
                    + "), on which Linux guests hang in early boot");
        }
        if (hardwareModule() == null) {
            return Optional.of("neither kvm_intel nor kvm_amd is loaded (" + modules + ")");
        }
        return Optional.empty();
    }

    private String hardwareModule() {
        for (String module : new String[] {"kvm_intel", "kvm_amd"}) {
            if (Files.exists(root.resolve("sys/module").resolve(module))) {
                return module;
            }
        }
        return null;
    }
}
