package io.atrium.broker.pool;

import java.time.Instant;
import java.util.List;

/**
 * A pool of desktops built from one guest image and one desktop spec.
 *
 * @param entitled principals allowed to use the pool ({@code user:NAME}, {@code group:NAME})
 */
public record Pool(String id, String name, PoolKind kind, String image, int vcpus, int memoryMb,
                   int size, List<String> entitled, Instant createdAt) {
    public Pool {
        entitled = List.copyOf(entitled);
    }
}
