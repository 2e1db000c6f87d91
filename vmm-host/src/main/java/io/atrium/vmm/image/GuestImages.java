package io.atrium.vmm.image;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.VmmProperties;
import java.nio.file.Files;
import java.util.Objects;

/**
 * Guest images, built on first use and cached in {@code dataDir/images/<hash>/}.
 *
 * <p>Each image directory holds {@code vmlinuz}, {@code initrd.img}, {@code golden.qcow2} (mode
 * 0444: only ever the read-only backing file of linked clones) and {@code manifest.json}. A
 * directory is complete once it exists: builds happen in a temporary directory renamed into place.
 */
public final class GuestImages {

    private final VmmProperties properties;
    private GuestImage console;

    public GuestImages(VmmProperties properties) {
        this.properties = Objects.requireNonNull(properties, "properties");
    }

    /**
     * The "console" demo guest: Debian cloud kernel + busybox initramfs whose tty1 (the VGA text
     * console) runs a root shell with a blue {@code atrium@<hostname>} prompt. Builds it if no
     * image with the same content hash exists (a few seconds plus the kernel download), otherwise
     * reuses the cached one.
     *
     * @throws VmmException if a build tool is missing (the message names the Debian package) or
     *     the build fails
     */
    public synchronized GuestImage console() {
        if (console == null || !Files.isRegularFile(console.manifest())) {
            console = new ConsoleImageBuilder(properties).buildOrReuse();
        }
        return console;
    }

    public VmmProperties properties() {
        return properties;
    }
}
