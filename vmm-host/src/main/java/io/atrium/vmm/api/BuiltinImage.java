package io.atrium.vmm.api;

import java.util.Objects;

/**
 * A built-in image of a host (Atrium's own recipes, built by the host on first use).
 *
 * @param name    {@code console}, {@code x-desktop}
 * @param version its current version: the recipe's hash (changes only when Atrium's recipe does)
 */
public record BuiltinImage(String name, String version) {
    public BuiltinImage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
    }
}
