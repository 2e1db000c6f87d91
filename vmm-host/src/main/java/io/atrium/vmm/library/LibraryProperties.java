package io.atrium.vmm.library;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits and tools of the image library on this host ({@code atrium.vmm.library.*}). Immutable.
 *
 * @param maxUploadSize      the largest upload a staging file may grow to; the stream is cut off beyond it
 * @param maxVirtualSize     the largest virtual disk size a version may have
 * @param maxDiskSize        the most space a converted golden disk may take ({@code qemu-img convert} runs with
 *                           this as its file size limit, so a compression bomb stops there)
 * @param qemuImgTimeout     how long one {@code qemu-img} call on an uploaded file may run
 * @param qemuImgCpu         the CPU time one such call may use ({@code prlimit --cpu})
 * @param qemuImgMemory      the address space one such call may map ({@code prlimit --as}, in bytes)
 * @param bootTestTimeout    how long a version's boot test may take to reach its first real frame
 * @param agentGrace         how long a booted guest without an answering agent is still given for its agent to answer
 *                           before the boot test passes it as agent-less (cold boot only)
 * @param ovmfCode           the UEFI firmware code (Debian {@code ovmf}), attached read-only
 * @param ovmfVars           the UEFI variable store template; each VM gets its own copy
 */
@ConfigurationProperties("atrium.vmm.library")
public record LibraryProperties(
        @DefaultValue("64GB") DataSize maxUploadSize,
        @DefaultValue("256GB") DataSize maxVirtualSize,
        @DefaultValue("64GB") DataSize maxDiskSize,
        @DefaultValue("15m") Duration qemuImgTimeout,
        @DefaultValue("10m") Duration qemuImgCpu,
        @DefaultValue("2GB") DataSize qemuImgMemory,
        @DefaultValue("5m") Duration bootTestTimeout,
        @DefaultValue("90s") Duration agentGrace,
        @DefaultValue("/usr/share/OVMF/OVMF_CODE_4M.fd") Path ovmfCode,
        @DefaultValue("/usr/share/OVMF/OVMF_VARS_4M.fd") Path ovmfVars) {

    public LibraryProperties {
        maxUploadSize = positive(maxUploadSize, DataSize.ofGigabytes(64), "max-upload-size");
        maxVirtualSize = positive(maxVirtualSize, DataSize.ofGigabytes(256), "max-virtual-size");
        maxDiskSize = positive(maxDiskSize, DataSize.ofGigabytes(64), "max-disk-size");
        qemuImgTimeout = positive(qemuImgTimeout, Duration.ofMinutes(15), "qemu-img-timeout");
        qemuImgCpu = positive(qemuImgCpu, Duration.ofMinutes(10), "qemu-img-cpu");
        qemuImgMemory = positive(qemuImgMemory, DataSize.ofGigabytes(2), "qemu-img-memory");
        bootTestTimeout = positive(bootTestTimeout, Duration.ofMinutes(5), "boot-test-timeout");
        agentGrace = positive(agentGrace, Duration.ofSeconds(90), "agent-grace");
        ovmfCode = ovmfCode == null ? Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd") : ovmfCode;
        ovmfVars = ovmfVars == null ? Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd") : ovmfVars;
    }

    /** All defaults. */
    public static LibraryProperties defaults() {
        return new LibraryProperties(null, null, null, null, null, null, null, null, null, null);
    }

    public LibraryProperties withMaxUploadSize(DataSize value) {
        return new LibraryProperties(value, maxVirtualSize, maxDiskSize, qemuImgTimeout, qemuImgCpu, qemuImgMemory,
                bootTestTimeout, agentGrace, ovmfCode, ovmfVars);
    }

    public LibraryProperties withMaxVirtualSize(DataSize value) {
        return new LibraryProperties(maxUploadSize, value, maxDiskSize, qemuImgTimeout, qemuImgCpu, qemuImgMemory,
                bootTestTimeout, agentGrace, ovmfCode, ovmfVars);
    }

    public LibraryProperties withMaxDiskSize(DataSize value) {
        return new LibraryProperties(maxUploadSize, maxVirtualSize, value, qemuImgTimeout, qemuImgCpu, qemuImgMemory,
                bootTestTimeout, agentGrace, ovmfCode, ovmfVars);
    }

    public LibraryProperties withQemuImgTimeout(Duration value) {
        return new LibraryProperties(maxUploadSize, maxVirtualSize, maxDiskSize, value, qemuImgCpu, qemuImgMemory,
                bootTestTimeout, agentGrace, ovmfCode, ovmfVars);
    }

    public LibraryProperties withBootTestTimeout(Duration value) {
        return new LibraryProperties(maxUploadSize, maxVirtualSize, maxDiskSize, qemuImgTimeout, qemuImgCpu,
                qemuImgMemory, value, agentGrace, ovmfCode, ovmfVars);
    }

    public LibraryProperties withAgentGrace(Duration value) {
        return new LibraryProperties(maxUploadSize, maxVirtualSize, maxDiskSize, qemuImgTimeout, qemuImgCpu,
                qemuImgMemory, bootTestTimeout, value, ovmfCode, ovmfVars);
    }

    private static DataSize positive(DataSize value, DataSize fallback, String name) {
        if (value == null) {
            return fallback;
        }
        if (value.toBytes() <= 0) {
            throw new IllegalArgumentException("atrium.vmm.library." + name + " must be positive, got " + value);
        }
        return value;
    }

    private static Duration positive(Duration value, Duration fallback, String name) {
        if (value == null) {
            return fallback;
        }
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("atrium.vmm.library." + name + " must be positive, got " + value);
        }
        return value;
    }
}
