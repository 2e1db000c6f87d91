package io.atrium.vmm.api;

import java.util.Locale;
import java.util.Optional;

/**
 * The format an administrator claims for an uploaded image. A host never probes: it reads the file with exactly this
 * format and refuses it when what it finds does not match ({@link ValidationRule#FORMAT_MISMATCH}).
 */
public enum DiskFormat {
    /** QEMU's copy-on-write format. */
    QCOW2,
    /** A plain disk image, byte for byte. */
    RAW,
    /** VMware's format; only the single-file kinds ({@code monolithicSparse}, {@code streamOptimized}). */
    VMDK,
    /** An ISO 9660 installation medium: attached read-only as a CD, never converted. */
    ISO;

    /** {@code qcow2}, {@code raw}, {@code vmdk}, {@code iso}: the name qemu-img and the API use. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The format of that {@link #id()} (any case), if there is one. */
    public static Optional<DiskFormat> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        for (DiskFormat f : values()) {
            if (f.id().equalsIgnoreCase(text.strip())) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
