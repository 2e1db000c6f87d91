package io.atrium.web.api;

import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolSpec;
import io.atrium.broker.session.Session;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** The JSON shapes of the pool, desktop and session API. Durations are ISO-8601 ({@code PT30M}); input also takes seconds. */
final class ApiModels {
    private ApiModels() {
    }

    /**
     * Body of {@code POST /api/pools} and {@code PUT /api/pools/{id}}. Validation errors name these fields.
     *
     * @param kind             {@code POOLED} or {@code PERSONAL}
     * @param image            {@code console} or {@code x-desktop}
     * @param entitled         {@code user:NAME} or {@code group:NAME}
     * @param idleTimeout      ISO-8601 duration ({@code PT30M}) or seconds
     * @param disconnectGrace  ISO-8601 duration or seconds
     * @param maxSessionLength ISO-8601 duration or seconds
     */
    record PoolRequest(String name, String kind, String image, Integer vcpus, Integer memoryMb, Integer minSize,
                       Integer maxSize, Integer spares, List<String> entitled, String idleTimeout,
                       String disconnectGrace, String maxSessionLength) {
        PoolSpec toSpec() {
            PoolKind k = null;
            if (kind != null) {
                try {
                    k = PoolKind.valueOf(kind.strip().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException ignored) {
                    // reported as a field error by the broker
                }
            }
            return new PoolSpec(name, k, image, vcpus, memoryMb, minSize, maxSize, spares, entitled,
                    PoolSpec.parseDuration(idleTimeout), PoolSpec.parseDuration(disconnectGrace),
                    PoolSpec.parseDuration(maxSessionLength));
        }
    }

    /** A pool with the counts of its desktops ({@code target}: how many it should have now). */
    record PoolResponse(String id, String name, PoolKind kind, String image, int vcpus, int memoryMb, int minSize,
                        int maxSize, int spares, List<String> entitled, String idleTimeout, String disconnectGrace,
                        String maxSessionLength, Instant createdAt, int size, int ready, int assigned,
                        int provisioning, int failed, int stopped, int target) {
        static PoolResponse of(DesktopAdminService.PoolStatus s) {
            Pool p = s.pool();
            return new PoolResponse(p.id(), p.name(), p.kind(), p.image(), p.vcpus(), p.memoryMb(), p.minSize(),
                    p.maxSize(), p.spares(), p.entitled(), p.idleTimeout().toString(), p.disconnectGrace().toString(),
                    p.maxSessionLength().toString(), p.createdAt(), s.size(), s.ready(), s.assigned(),
                    s.provisioning(), s.failed(), s.stopped(), s.target());
        }
    }

    /** A desktop: state, user and why it is in its state. */
    record DesktopResponse(String id, String poolId, String name, String state, String assignedUser, String reason,
                           Instant createdAt, Instant updatedAt) {
        static DesktopResponse of(Desktop d) {
            return new DesktopResponse(d.id(), d.poolId(), d.name(), d.state().name(), d.assignedUser(),
                    d.stateReason(), d.createdAt(), d.updatedAt());
        }
    }

    /**
     * A session: a user's tenure on a desktop, from open to log off.
     *
     * @param active    whether it is still going on
     * @param connected whether a viewer is connected, as last recorded
     * @param endReason why it ended ({@code USER_LOGOFF}, {@code DISCONNECT_GRACE}, {@code MAX_SESSION_LENGTH},
     *                  {@code ADMIN_LOGOFF}, {@code ACCESS_REVOKED}, {@code DESKTOP_LOST}); {@code null} while active
     */
    record SessionResponse(String id, String desktopId, String desktopName, String poolId, String username,
                           boolean active, boolean connected, Instant startedAt, Instant connectedAt,
                           Instant disconnectedAt, Instant lastInputAt, Instant endedAt, String endReason) {
        static SessionResponse of(Session s) {
            return new SessionResponse(s.id(), s.desktopId(), s.desktopName(), s.poolId(), s.username(), s.isActive(),
                    s.isConnected(), s.startedAt(), s.connectedAt(), s.disconnectedAt(), s.lastInputAt(), s.endedAt(),
                    s.endReason() == null ? null : s.endReason().name());
        }
    }

    /** One card of "my desktops": an entitled pool and the caller's desktop in it, or how many are free. */
    record MyDesktopResponse(String poolId, String poolName, PoolKind kind, int vcpus, int memoryMb,
                             DesktopResponse desktop, long free) {
        static MyDesktopResponse of(DesktopService.MyDesktop c) {
            return new MyDesktopResponse(c.pool().id(), c.pool().name(), c.pool().kind(), c.pool().vcpus(),
                    c.pool().memoryMb(), c.desktop().map(DesktopResponse::of).orElse(null), c.free());
        }
    }
}
