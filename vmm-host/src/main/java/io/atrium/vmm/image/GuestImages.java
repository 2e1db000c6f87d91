package io.atrium.vmm.image;

import io.atrium.vmm.Progress;
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

    /** Name of the console guest image. */
    public static final String CONSOLE = "console";
    /** Name of the X desktop image. */
    public static final String X_DESKTOP = "x-desktop";

    private final VmmProperties properties;
    private final Progress progress;
    private GuestImage console;
    private GuestImage xDesktop;

    public GuestImages(VmmProperties properties) {
        this(properties, new Progress());
    }

    /** @param progress where builds report their steps */
    public GuestImages(VmmProperties properties, Progress progress) {
        this.properties = Objects.requireNonNull(properties, "properties");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** The image builds (and, through {@code VmmHost}, the template preparations) under way. */
    public Progress progress() {
        return progress;
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
            console = new ConsoleImageBuilder(properties, progress).buildOrReuse();
        }
        return console;
    }

    /**
     * The "x-desktop" guest: a debootstrap'd Debian bookworm (Xorg modesetting, jwm, xterm) on a
     * virtio-blk root disk, booted with Debian's generic kernel and initramfs; X starts as root on
     * tty1 without a login. 256 MiB, {@code tb-size=64} under TCG. Builds it (minutes, needs the
     * Debian package {@code debootstrap}; the .debs are cached in {@code dataDir/downloads}) if no
     * image with the same recipe hash exists, otherwise reuses the cached one.
     *
     * @throws VmmException if debootstrap or another tool is missing (the message names the
     *     Debian package) or the build fails
     */
    public synchronized GuestImage xDesktop() {
        if (xDesktop == null || !Files.isRegularFile(xDesktop.manifest())) {
            xDesktop = new XDesktopImageBuilder(properties, progress).buildOrReuse();
        }
        return xDesktop;
    }

    /** The image called {@code name}: {@value #CONSOLE} or {@value #X_DESKTOP}. */
    public GuestImage byName(String name) {
        return switch (Objects.requireNonNull(name, "name")) {
            case CONSOLE -> console();
            case X_DESKTOP -> xDesktop();
            default -> throw new VmmException("unknown guest image '" + name + "' (known: " + CONSOLE + ", "
                    + X_DESKTOP + ")");
        };
    }

    /**
     * The version of a built-in image in the library: its recipe hash ({@code c-<sha256>} for the console guest,
     * {@code x-<sha256>} for the X desktop), known without building it. It changes only when Atrium's recipe does.
     */
    public static String recipeVersion(String name) {
        return switch (Objects.requireNonNull(name, "name")) {
            case CONSOLE -> ConsoleImageBuilder.recipeHash(ConsoleImageBuilder.templates());
            case X_DESKTOP -> XDesktopImageBuilder.recipeHash(XDesktopImageBuilder.templates());
            default -> throw new VmmException("unknown guest image '" + name + "' (known: " + CONSOLE + ", "
                    + X_DESKTOP + ")");
        };
    }

    /** The built-in images' names. */
    public static java.util.List<String> builtIns() {
        return java.util.List.of(CONSOLE, X_DESKTOP);
    }

    public VmmProperties properties() {
        return properties;
    }
}
