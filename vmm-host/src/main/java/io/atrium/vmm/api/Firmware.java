package io.atrium.vmm.api;

import java.util.Locale;
import java.util.Optional;

/** The firmware a disk-boot image boots under. */
public enum Firmware {
    /** SeaBIOS: the disk's MBR boot code runs (legacy BIOS boot). */
    BIOS,
    /** OVMF (Debian's {@code ovmf}): the ESP's {@code EFI/BOOT/BOOTX64.EFI} or a boot entry in the VM's own variables. */
    UEFI;

    /** The firmware of that name (any case), if there is one. */
    public static Optional<Firmware> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(text.strip().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
