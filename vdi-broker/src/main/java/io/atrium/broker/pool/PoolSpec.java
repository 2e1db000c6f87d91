package io.atrium.broker.pool;

import java.time.Duration;
import java.util.List;

/**
 * What an administrator enters for a pool (create or update). Values may be missing (null); {@link PoolAdminService}
 * validates them and names each bad field with the names of these components.
 */
public record PoolSpec(String name, PoolKind kind, String image, Integer vcpus, Integer memoryMb,
                       Integer minSize, Integer maxSize, Integer spares, List<String> entitled,
                       Duration idleTimeout, Duration disconnectGrace, Duration maxSessionLength) {

    /** The spec of an existing pool, e.g. to fill an edit form. */
    public static PoolSpec of(Pool p) {
        return new PoolSpec(p.name(), p.kind(), p.image(), p.vcpus(), p.memoryMb(), p.minSize(), p.maxSize(),
                p.spares(), p.entitled(), p.idleTimeout(), p.disconnectGrace(), p.maxSessionLength());
    }

    /** Defaults for a new pool. */
    public static PoolSpec defaults() {
        return new PoolSpec("", PoolKind.POOLED, "console", 1, 128, 1, 5, 1, List.of(),
                Pool.DEFAULT_IDLE_TIMEOUT, Pool.DEFAULT_DISCONNECT_GRACE, Pool.DEFAULT_MAX_SESSION);
    }

    /**
     * Parses a duration as ISO-8601 ({@code PT30M}) or whole seconds ({@code 1800}); null when blank or not a
     * duration (the validation then names the field).
     */
    public static Duration parseDuration(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        String t = text.strip();
        try {
            return t.chars().allMatch(Character::isDigit) ? Duration.ofSeconds(Long.parseLong(t)) : Duration.parse(t);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
