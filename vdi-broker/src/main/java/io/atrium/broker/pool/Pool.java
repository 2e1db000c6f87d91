package io.atrium.broker.pool;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A pool of desktops built from one guest image and one desktop spec.
 *
 * @param image            guest image name ({@code console}, …)
 * @param minSize          desktops kept provisioned at all times
 * @param maxSize          desktops the pool may ever have
 * @param spares           ready, unassigned desktops kept warm beyond the assigned ones (within maxSize)
 * @param entitled         principals allowed to use the pool ({@code user:NAME}, {@code group:NAME})
 * @param idleTimeout      a connected session without input for this long is disconnected
 * @param disconnectGrace  a disconnected session is logged off after this long
 * @param maxSessionLength a session is logged off after this long, connected or not
 */
public record Pool(String id, String name, PoolKind kind, String image, int vcpus, int memoryMb,
                   int minSize, int maxSize, int spares, List<String> entitled,
                   Duration idleTimeout, Duration disconnectGrace, Duration maxSessionLength, Instant createdAt) {

    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(30);
    public static final Duration DEFAULT_DISCONNECT_GRACE = Duration.ofMinutes(15);
    public static final Duration DEFAULT_MAX_SESSION = Duration.ofHours(10);

    public Pool {
        entitled = List.copyOf(entitled);
    }

    /** A pool of {@code size} desktops that are all kept provisioned, with default timeouts. */
    public static Pool fixed(String id, String name, PoolKind kind, String image, int vcpus, int memoryMb, int size,
                             List<String> entitled, Instant createdAt) {
        return new Pool(id, name, kind, image, vcpus, memoryMb, size, size, 0, entitled,
                DEFAULT_IDLE_TIMEOUT, DEFAULT_DISCONNECT_GRACE, DEFAULT_MAX_SESSION, createdAt);
    }

    /** The most desktops this pool may have; what GPU planning reserves for. */
    public int size() {
        return maxSize;
    }

    /** How many desktops should exist when {@code assigned} of them are in use. */
    public int targetSize(int assigned) {
        return Math.min(maxSize, Math.max(minSize, assigned + spares));
    }
}
