package io.atrium.vmm.api;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** Checks guest paths in {@link GuestRequest}s: absolute, at most 4096 bytes, no NUL or control characters. */
final class GuestPaths {

    private GuestPaths() {
    }

    static void require(String path) {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/") || path.getBytes(StandardCharsets.UTF_8).length > 4096
                || path.chars().anyMatch(c -> c < 0x20 || c == 0x7F)) {
            throw new IllegalArgumentException("not an absolute guest path without control characters");
        }
    }
}
