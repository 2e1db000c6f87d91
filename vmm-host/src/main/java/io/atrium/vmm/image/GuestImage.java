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
 */
public record GuestImage(Path kernel, Path initrd, Path goldenDisk, String hash, String defaultAppend) {

    public GuestImage {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(goldenDisk, "goldenDisk");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(defaultAppend, "defaultAppend");
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
