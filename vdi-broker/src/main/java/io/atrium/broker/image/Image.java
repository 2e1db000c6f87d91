package io.atrium.broker.image;

import java.time.Instant;

/**
 * An image of the library: a name pools use, and its immutable versions.
 *
 * @param kind BUILTIN for Atrium's own recipes ({@code console}, {@code x-desktop}), LIBRARY for the admins'
 */
public record Image(String id, String name, Kind kind, String description, Instant createdAt) {
    public enum Kind { BUILTIN, LIBRARY }
}
