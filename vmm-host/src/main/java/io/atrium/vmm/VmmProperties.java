package io.atrium.vmm;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Configuration of the VMM host ({@code atrium.vmm.*}). Immutable.
 *
 * <p>Layout under {@link #dataDir()}: {@code images/<hash>/} (built guest images, see
 * {@code io.atrium.vmm.image.GuestImages}), {@code downloads/} (Debian packages the builder
 * fetched), {@code templates/<key>/} (instant-clone templates), {@code run/<vm>/} (one run
 * directory per VM: QMP socket, VNC socket, logs, pid file, disk overlay; its files are named by
 * {@code io.atrium.vmm.qemu.RunDir}).
 *
 * @param dataDir root of images, downloads and VM run directories; default
 *     {@code ${user.home}/.local/share/atrium}
 * @param accel requested accelerator, resolved by {@code io.atrium.vmm.qemu.AcceleratorProbe}; default AUTO
 * @param qemuBinary QEMU system emulator, name on PATH or absolute path
 * @param qemuImgBinary qemu-img, name on PATH or absolute path
 * @param shutdownTimeout how long a graceful ACPI shutdown may take before QEMU is stopped hard
 * @param qmpTimeout default timeout of one QMP command
 * @param startTimeout how long QEMU may take to open its QMP socket after being spawned
 * @param keepVmsOnExit if true, VMs survive the JVM (no parent-death signal, no kill on exit, no
 *     orphan kill at startup) so a restarted broker can re-adopt them
 * @param hostId this host's id as brokers and gateways see it (in {@code MachineInfo} and
 *     {@code ConsoleEndpoint}): a short label, {@code [a-z0-9]} and inner {@code -}, at most 32 characters;
 *     default {@code local}
 */
@ConfigurationProperties("atrium.vmm")
@Validated
public record VmmProperties(
        Path dataDir,
        @NotNull @DefaultValue("AUTO") Accelerator accel,
        @NotBlank @DefaultValue("qemu-system-x86_64") String qemuBinary,
        @NotBlank @DefaultValue("qemu-img") String qemuImgBinary,
        @NotNull @DefaultValue("15s") Duration shutdownTimeout,
        @NotNull @DefaultValue("5s") Duration qmpTimeout,
        @NotNull @DefaultValue("20s") Duration startTimeout,
        @DefaultValue("false") boolean keepVmsOnExit,
        @DefaultValue(VmmProperties.DEFAULT_HOST_ID) String hostId) {

    public static final String DEFAULT_QEMU = "qemu-system-x86_64";
    public static final String DEFAULT_QEMU_IMG = "qemu-img";
    public static final String DEFAULT_HOST_ID = "local";
    private static final Pattern HOST_ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?");

    public VmmProperties {
        dataDir = (dataDir == null ? defaultDataDir() : dataDir).toAbsolutePath().normalize();
        accel = accel == null ? Accelerator.AUTO : accel;
        qemuBinary = qemuBinary == null || qemuBinary.isBlank() ? DEFAULT_QEMU : qemuBinary;
        qemuImgBinary = qemuImgBinary == null || qemuImgBinary.isBlank() ? DEFAULT_QEMU_IMG : qemuImgBinary;
        shutdownTimeout = positive(shutdownTimeout, Duration.ofSeconds(15), "shutdownTimeout");
        qmpTimeout = positive(qmpTimeout, Duration.ofSeconds(5), "qmpTimeout");
        startTimeout = positive(startTimeout, Duration.ofSeconds(20), "startTimeout");
        hostId = hostId == null ? DEFAULT_HOST_ID : hostId;
        if (!isHostId(hostId)) {
            throw new IllegalArgumentException("atrium.vmm.host-id must be a short label ([a-z0-9] and inner '-', "
                    + "at most 32 characters), got '" + hostId + "'");
        }
    }

    /** Whether {@code value} is a valid {@link #hostId()}. */
    public static boolean isHostId(String value) {
        return value != null && HOST_ID.matcher(value).matches();
    }

    /** All defaults, with the given data directory (for tests and non-Spring use). */
    public static VmmProperties defaults(Path dataDir) {
        Objects.requireNonNull(dataDir, "dataDir");
        return new VmmProperties(dataDir, Accelerator.AUTO, DEFAULT_QEMU, DEFAULT_QEMU_IMG,
                Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofSeconds(20), false, DEFAULT_HOST_ID);
    }

    /** {@code ${user.home}/.local/share/atrium}. */
    public static Path defaultDataDir() {
        return Path.of(System.getProperty("user.home"), ".local", "share", "atrium");
    }

    /** {@code dataDir/images}: built guest images, one directory per content hash. */
    public Path imagesDir() {
        return dataDir.resolve("images");
    }

    /** {@code dataDir/downloads}: Debian packages fetched by the image builder. */
    public Path downloadsDir() {
        return dataDir.resolve("downloads");
    }

    /** {@code dataDir/run}: one run directory per VM. */
    public Path runDir() {
        return dataDir.resolve("run");
    }

    public VmmProperties withAccel(Accelerator value) {
        return new VmmProperties(dataDir, value, qemuBinary, qemuImgBinary, shutdownTimeout, qmpTimeout,
                startTimeout, keepVmsOnExit, hostId);
    }

    public VmmProperties withKeepVmsOnExit(boolean value) {
        return new VmmProperties(dataDir, accel, qemuBinary, qemuImgBinary, shutdownTimeout, qmpTimeout,
                startTimeout, value, hostId);
    }

    public VmmProperties withShutdownTimeout(Duration value) {
        return new VmmProperties(dataDir, accel, qemuBinary, qemuImgBinary, value, qmpTimeout,
                startTimeout, keepVmsOnExit, hostId);
    }

    public VmmProperties withHostId(String value) {
        return new VmmProperties(dataDir, accel, qemuBinary, qemuImgBinary, shutdownTimeout, qmpTimeout,
                startTimeout, keepVmsOnExit, value);
    }

    private static Duration positive(Duration value, Duration fallback, String name) {
        if (value == null) {
            return fallback;
        }
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("atrium.vmm." + name + " must be positive, got " + value);
        }
        return value;
    }
}
