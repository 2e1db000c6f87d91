package io.atrium.vmm.gpu;

import java.util.Locale;

/** MIG mode of the hardware as nvidia-smi reports it ({@code mig.mode.current} / {@code mig.mode.pending}). */
public enum MigMode {
    ENABLED,
    DISABLED,
    /** nvidia-smi answered {@code [N/A]}: the GPU has no MIG support. */
    NOT_SUPPORTED,
    /** The value was missing or not recognised. */
    UNKNOWN;

    /** Parses a value as printed by nvidia-smi ({@code Enabled}, {@code Disabled}, {@code [N/A]}, ...). */
    public static MigMode parse(String value) {
        if (value == null) {
            return UNKNOWN;
        }
        String v = value.strip().toLowerCase(Locale.ROOT);
        if (v.equals("enabled")) {
            return ENABLED;
        }
        if (v.equals("disabled")) {
            return DISABLED;
        }
        if (v.contains("n/a") || v.contains("not supported")) {
            return NOT_SUPPORTED;
        }
        return UNKNOWN;
    }
}
