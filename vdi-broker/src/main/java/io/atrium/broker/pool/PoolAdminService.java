package io.atrium.broker.pool;

import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.desktop.DesktopAdminService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Pool administration: list, get, create, update, delete. Every method checks {@code ROLE_ADMIN} itself. Input is
 * validated as a whole and every bad field is named ({@link InvalidInputException#fieldErrors()}, keys are the
 * {@link PoolSpec} component names). A created or changed pool is reconciled to its target size
 * ({@link PoolChanged}).
 */
@Service
public class PoolAdminService {
    private static final Logger log = LoggerFactory.getLogger(PoolAdminService.class);

    /** Pool names are host names' first part: desktop VMs are named {@code <pool>-<n>}. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9-]{1,40}");
    /** Guest images a pool may use. */
    public static final List<String> IMAGES = List.of("console", "x-desktop");
    private static final Pattern PRINCIPAL = Pattern.compile("(user|group):[A-Za-z0-9._@-]{1,100}");

    private final PoolRepository pools;
    private final DesktopAdminService desktops;
    private final ApplicationEventPublisher events;
    private final Clock clock;
    private final AuditLog audit;

    PoolAdminService(PoolRepository pools, DesktopAdminService desktops, ApplicationEventPublisher events, Clock clock,
                     AuditLog audit) {
        this.pools = pools;
        this.desktops = desktops;
        this.events = events;
        this.clock = clock;
        this.audit = audit;
    }

    /** The audited view of a pool's settings (what an auditor compares before and after). */
    static Map<String, Object> settings(Pool p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("kind", p.kind().name());
        m.put("image", p.image());
        m.put("vcpus", p.vcpus());
        m.put("memoryMb", p.memoryMb());
        m.put("minSize", p.minSize());
        m.put("maxSize", p.maxSize());
        m.put("spares", p.spares());
        m.put("entitled", p.entitled());
        m.put("idleTimeout", p.idleTimeout().toString());
        m.put("disconnectGrace", p.disconnectGrace().toString());
        m.put("maxSessionLength", p.maxSessionLength().toString());
        return m;
    }

    /** Every pool, by name. */
    @PreAuthorize("hasRole('ADMIN')")
    public List<Pool> list() {
        return pools.findAll();
    }

    /** The pool; NOT_FOUND if it does not exist. */
    @PreAuthorize("hasRole('ADMIN')")
    public Pool get(String poolId) {
        return pools.findById(poolId).orElseThrow(() -> BrokerException.notFound("Pool " + poolId));
    }

    /**
     * Creates a pool and starts provisioning it to its minimum size (plus spares).
     *
     * @throws InvalidInputException naming every bad field
     */
    @PreAuthorize("hasRole('ADMIN')")
    public Pool create(PoolSpec spec) {
        try {
            validate(spec, null);
        } catch (InvalidInputException e) {
            audit.record("pool.create", io.atrium.broker.audit.AuditEvent.Outcome.FAILURE, "pool",
                    spec == null ? null : spec.name(), Map.of("fields", e.fieldErrors().keySet()));
            throw e;
        }
        Pool pool = toPool(UUID.randomUUID().toString(), spec, clock.instant());
        pools.save(pool);
        log.info("pool {} created: {} {} {}..{} (+{} spares) for {}", pool.name(), pool.kind(), pool.image(),
                pool.minSize(), pool.maxSize(), pool.spares(), pool.entitled());
        audit.record("pool.create", "pool", pool.id(), Map.of("after", settings(pool)));
        events.publishEvent(new PoolChanged(pool.id()));
        return get(pool.id());
    }

    /**
     * Replaces the pool's settings; the pool is reconciled (desktops created or surplus spares removed). The name and
     * kind can change only while the pool has no desktops.
     *
     * @throws InvalidInputException naming every bad field; NOT_FOUND if the pool does not exist
     */
    @PreAuthorize("hasRole('ADMIN')")
    public Pool update(String poolId, PoolSpec spec) {
        Pool existing = get(poolId);
        try {
            validate(spec, existing);
        } catch (InvalidInputException e) {
            audit.record("pool.update", io.atrium.broker.audit.AuditEvent.Outcome.FAILURE, "pool", poolId,
                    Map.of("fields", e.fieldErrors().keySet()));
            throw e;
        }
        Pool pool = toPool(existing.id(), spec, existing.createdAt());
        pools.save(pool);
        log.info("pool {} updated", pool.name());
        Map<String, Object> change = new LinkedHashMap<>();
        change.put("before", settings(existing));
        change.put("after", settings(pool));
        audit.record("pool.update", "pool", pool.id(), change);
        List<String> removed = existing.entitled().stream().filter(e -> !pool.entitled().contains(e)).toList();
        List<String> added = pool.entitled().stream().filter(e -> !existing.entitled().contains(e)).toList();
        if (!removed.isEmpty() || !added.isEmpty()) {
            audit.record("entitlement.change", "pool", pool.id(), Map.of("pool", pool.name(), "added", added,
                    "removed", removed));
        }
        events.publishEvent(new PoolChanged(pool.id()));
        return get(pool.id());
    }

    /**
     * Deletes the pool with its desktops (VMs stopped, disks removed, personal desktops' disks too), entitlements and
     * GPU profile.
     *
     * @param force delete even while desktops are assigned to users (their sessions end)
     * @throws BrokerException NOT_FOUND; ILLEGAL_STATE while desktops are assigned and {@code force} is false
     */
    @PreAuthorize("hasRole('ADMIN')")
    public void delete(String poolId, boolean force) {
        Pool pool = get(poolId);
        audit.audited("pool.delete", "pool", pool.id(), Map.of("before", settings(pool), "force", force),
                () -> desktops.deletePool(pool.id(), force));
        log.info("pool {} deleted{}", pool.name(), force ? " (forced)" : "");
    }

    private void validate(PoolSpec s, Pool existing) {
        Map<String, String> errors = new LinkedHashMap<>();
        if (s == null) {
            throw InvalidInputException.of("pool", "is required");
        }
        if (s.name() == null || !NAME.matcher(s.name()).matches()) {
            errors.put("name", "must be 1 to 40 characters: lower-case letters, digits and '-'");
        } else {
            pools.findByName(s.name()).filter(p -> existing == null || !p.id().equals(existing.id()))
                    .ifPresent(p -> errors.put("name", "a pool named " + s.name() + " already exists"));
        }
        if (s.kind() == null) {
            errors.put("kind", "must be POOLED or PERSONAL");
        }
        if (s.image() == null || !IMAGES.contains(s.image())) {
            errors.put("image", "must be one of " + String.join(", ", IMAGES));
        }
        range(errors, "vcpus", s.vcpus(), 1, 16);
        range(errors, "memoryMb", s.memoryMb(), 64, 65536);
        range(errors, "minSize", s.minSize(), 0, 1000);
        range(errors, "maxSize", s.maxSize(), 0, 1000);
        if (s.minSize() != null && s.maxSize() != null && !errors.containsKey("minSize")
                && !errors.containsKey("maxSize") && s.minSize() > s.maxSize()) {
            errors.put("maxSize", "must be at least the minimum size (" + s.minSize() + ")");
        }
        range(errors, "spares", s.spares(), 0, 1000);
        if (s.entitled() == null) {
            errors.put("entitled", "is required (may be empty)");
        } else {
            List<String> bad = s.entitled().stream().filter(p -> p == null || !PRINCIPAL.matcher(p.strip()).matches())
                    .map(String::valueOf).toList();
            if (!bad.isEmpty()) {
                errors.put("entitled", "each must be user:NAME or group:NAME; not " + String.join(", ", bad));
            }
        }
        positive(errors, "idleTimeout", s.idleTimeout());
        positive(errors, "disconnectGrace", s.disconnectGrace());
        positive(errors, "maxSessionLength", s.maxSessionLength());
        if (existing != null && !desktops.desktopsOf(existing.id()).isEmpty()) {
            if (!errors.containsKey("name") && !Objects.equals(s.name(), existing.name())) {
                errors.put("name", "cannot change while the pool has desktops (they are named after it)");
            }
            if (!errors.containsKey("kind") && s.kind() != existing.kind()) {
                errors.put("kind", "cannot change while the pool has desktops");
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
    }

    private static void range(Map<String, String> errors, String field, Integer value, int min, int max) {
        if (value == null || value < min || value > max) {
            errors.put(field, "must be a whole number from " + min + " to " + max);
        }
    }

    private static void positive(Map<String, String> errors, String field, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            errors.put(field, "must be a positive duration (e.g. PT30M, or seconds)");
        }
    }

    private static Pool toPool(String id, PoolSpec s, java.time.Instant createdAt) {
        return new Pool(id, s.name(), s.kind(), s.image(), s.vcpus(), s.memoryMb(), s.minSize(), s.maxSize(),
                s.spares(), s.entitled().stream().map(String::strip).distinct().toList(), s.idleTimeout(),
                s.disconnectGrace(), s.maxSessionLength(), createdAt);
    }
}
