package io.atrium.vmm.gpu;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * GPU settings ({@code atrium.vmm.gpu.*}).
 *
 * @param inventory      where the GPUs come from: {@code auto} (the real GPUs through nvidia-smi when it is on the
 *                       {@code PATH} and works, otherwise none), {@code nvidia-smi} (the real GPUs; failing to read
 *                       them is an error), {@code none}, or a simulated inventory such as
 *                       {@code 2 x h100-80gb-hbm3} ({@link SimulatedInventory#fromSpec}). The default simulates two
 *                       H100s so that GPU pools can be planned and tested on any host.
 * @param nvidiaSmi      the nvidia-smi program: a name looked up on the {@code PATH} or a path
 * @param commandTimeout time limit of one nvidia-smi command
 */
@Validated
@ConfigurationProperties("atrium.vmm.gpu")
public record GpuProperties(
        @NotBlank @DefaultValue("2 x h100-80gb-hbm3") String inventory,
        @NotBlank @DefaultValue("nvidia-smi") String nvidiaSmi,
        @NotNull @DefaultValue("30s") Duration commandTimeout) {

    private static final Logger log = LoggerFactory.getLogger(GpuProperties.class);

    public static final String AUTO = "auto";
    public static final String NVIDIA_SMI = "nvidia-smi";
    public static final String NONE = "none";

    /** The defaults: two simulated H100s. */
    public static GpuProperties defaults() {
        return new GpuProperties("2 x h100-80gb-hbm3", NVIDIA_SMI, Duration.ofSeconds(30));
    }

    @AssertTrue(message = "atrium.vmm.gpu.command-timeout must be positive")
    public boolean isCommandTimeoutValid() {
        return commandTimeout != null && commandTimeout.isPositive();
    }

    @AssertTrue(message = "atrium.vmm.gpu.inventory must be auto, nvidia-smi, none or a simulated spec such as "
            + "'2 x h100-80gb-hbm3'")
    public boolean isInventoryValid() {
        if (inventory == null || kind() != Kind.SIMULATED) {
            return inventory != null;
        }
        try {
            SimulatedInventory.fromSpec(inventory);
            return true;
        } catch (IllegalArgumentException | IllegalStateException e) {
            return false;
        }
    }

    /** What {@link #inventory} asks for. */
    public enum Kind { AUTO, NVIDIA_SMI, NONE, SIMULATED }

    public Kind kind() {
        return switch (inventory.strip().toLowerCase(Locale.ROOT)) {
            case AUTO -> Kind.AUTO;
            case NVIDIA_SMI -> Kind.NVIDIA_SMI;
            case NONE -> Kind.NONE;
            default -> Kind.SIMULATED;
        };
    }

    /**
     * The inventory these settings describe. For {@code auto} the GPUs are read once here: a host without
     * nvidia-smi, or whose nvidia-smi fails, has none (logged).
     */
    public GpuInventory toInventory() {
        return switch (kind()) {
            case NONE -> List::of;
            case SIMULATED -> SimulatedInventory.fromSpec(inventory);
            case NVIDIA_SMI -> new NvidiaSmiInventory(runner());
            case AUTO -> {
                Optional<Path> program = findProgram(nvidiaSmi, System.getenv("PATH"));
                if (program.isEmpty()) {
                    log.info("GPU inventory 'auto': {} is not on the PATH, so this host has no GPUs", nvidiaSmi);
                    yield List::of;
                }
                List<GpuDevice> found;
                try {
                    found = new NvidiaSmiInventory(runner()).discover();
                } catch (RuntimeException e) {
                    log.warn("GPU inventory 'auto': {} failed, so this host has no GPUs: {}", program.get(),
                            e.getMessage());
                    found = List.of();
                }
                List<GpuDevice> gpus = found;
                yield () -> gpus;
            }
        };
    }

    /** Runs nvidia-smi commands with {@link #nvidiaSmi} as the program and {@link #commandTimeout}. */
    CommandRunner runner() {
        ProcessCommandRunner processes = new ProcessCommandRunner(commandTimeout);
        return argv -> {
            if (!argv.isEmpty() && NVIDIA_SMI.equals(argv.getFirst()) && !NVIDIA_SMI.equals(nvidiaSmi)) {
                List<String> replaced = new java.util.ArrayList<>(argv);
                replaced.set(0, nvidiaSmi);
                return processes.run(replaced);
            }
            return processes.run(argv);
        };
    }

    /** {@code program} itself when it contains a path separator, else the first executable of that name on {@code path}. */
    static Optional<Path> findProgram(String program, String path) {
        if (program.contains(File.separator)) {
            Path p = Path.of(program);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
