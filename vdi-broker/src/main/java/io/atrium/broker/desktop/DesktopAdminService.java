package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.api.MachineHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.atrium.broker.audit.AuditLog;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What administrators do with desktops: list a pool's desktops with their states, and the power actions start,
 * shutdown, reset, refresh, delete, plus screen thumbnails. Session actions (disconnect, log off) are
 * {@code SessionAdminService}'s, which decides how the viewer is closed. Every method checks {@code ROLE_ADMIN}
 * itself. An action the desktop's state does not allow is an {@link IllegalTransitionException} (409), never a
 * silent no-op; VM work that takes long runs on the provisioner's threads, so calls return at once.
 */
@Service
public class DesktopAdminService {
    private static final Logger log = LoggerFactory.getLogger(DesktopAdminService.class);
    /** How long the guest has to power off after the ACPI power button before QEMU is quit. */
    static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    private final DesktopRepository desktops;
    private final PoolRepository pools;
    private final PowerActions power;
    private final DesktopRefresh refresh;
    private final MachineHost machines;
    private final AuditLog audit;

    DesktopAdminService(DesktopRepository desktops, PoolRepository pools, PowerActions power, DesktopRefresh refresh,
                        MachineHost machines, AuditLog audit) {
        this.desktops = desktops;
        this.pools = pools;
        this.power = power;
        this.refresh = refresh;
        this.machines = machines;
        this.audit = audit;
    }

    private void audited(String action, Desktop d, Runnable body) {
        java.util.Map<String, Object> detail = new java.util.LinkedHashMap<>();
        detail.put("desktop", d.name());
        detail.put("before", d.state().name());
        if (d.assignedUser() != null) {
            detail.put("user", d.assignedUser());
        }
        audit.audited(action, "desktop", d.id(), detail, body);
    }

    /**
     * A pool with the counts of its live desktops.
     *
     * @param size         live desktops (not DELETED)
     * @param ready        READY and unassigned
     * @param assigned     with a user
     * @param provisioning PROVISIONING or REFRESHING
     * @param target       how many it should have now ({@link Pool#targetSize})
     */
    public record PoolStatus(Pool pool, int size, int ready, int assigned, int provisioning, int failed, int stopped,
                             int target) {
        /** Whether desktops are still being made ready towards the target. */
        public boolean warmingUp() {
            return provisioning > 0 || size < target;
        }
    }

    /** Every pool with its desktop counts, by name. */
    @PreAuthorize("hasRole('ADMIN')")
    public List<PoolStatus> poolStatuses() {
        return pools.findAll().stream().map(this::statusOf).toList();
    }

    /** One pool with its desktop counts; NOT_FOUND if it does not exist. */
    @PreAuthorize("hasRole('ADMIN')")
    public PoolStatus poolStatus(String poolId) {
        return statusOf(pool(poolId));
    }

    /**
     * Internal (the portal tells a user how far their pool is; callers check the user may see the pool): the pool's
     * desktop counts, as {@link #poolStatus} has them.
     */
    public PoolStatus countsOf(Pool pool) {
        return statusOf(pool);
    }

    /** The live desktops of a pool, by name; NOT_FOUND if the pool does not exist. */
    @PreAuthorize("hasRole('ADMIN')")
    public List<Desktop> desktopsOf(String poolId) {
        return desktops.findByPool(pool(poolId).id());
    }

    /** A live desktop; NOT_FOUND if it does not exist or was deleted. */
    @PreAuthorize("hasRole('ADMIN')")
    public Desktop desktop(String desktopId) {
        return live(desktopId);
    }

    /** Starts a STOPPED or FAILED desktop's VM (asynchronously); the desktop is PROVISIONING. */
    @PreAuthorize("hasRole('ADMIN')")
    public Desktop start(String desktopId) {
        Desktop d = live(desktopId);
        audited("desktop.start", d, () -> power.start(d));
        log.info("admin started desktop {}", d.name());
        return live(desktopId);
    }

    /** Shuts a READY or FAILED desktop down (ACPI, then harder after 30 s); the desktop is STOPPED. */
    @PreAuthorize("hasRole('ADMIN')")
    public Desktop shutdown(String desktopId) {
        Desktop d = live(desktopId);
        audited("desktop.shutdown", d, () -> power.shutdown(d, SHUTDOWN_TIMEOUT));
        log.info("admin shut down desktop {}", d.name());
        return live(desktopId);
    }

    /** Hard reset of a running desktop's VM; its state and user do not change. */
    @PreAuthorize("hasRole('ADMIN')")
    public Desktop reset(String desktopId) {
        Desktop d = live(desktopId);
        audited("desktop.reset", d, () -> power.reset(d));
        log.info("admin reset desktop {}", d.name());
        return d;
    }

    /** Gives a READY pooled desktop a clean disk; refused for personal desktops (their user's disk). */
    @PreAuthorize("hasRole('ADMIN')")
    public Desktop refresh(String desktopId) {
        Desktop d = live(desktopId);
        audited("desktop.refresh", d, () -> refresh.adminRefresh(d));
        log.info("admin refreshed desktop {}", d.name());
        return live(desktopId);
    }

    /**
     * Deletes a desktop: VM stopped, disk removed, GPU slice released; the pool is reconciled (a replacement is made
     * if it falls below its target). An assigned desktop is refused unless {@code force}.
     */
    @PreAuthorize("hasRole('ADMIN')")
    public void delete(String desktopId, boolean force) {
        Desktop d = live(desktopId);
        audited("desktop.delete", d, () -> power.delete(d, force));
        log.info("admin deleted desktop {}{}", d.name(), force ? " (forced)" : "");
    }

    /** The desktop's screen as PNG, when its VM runs; NOT_FOUND if the desktop does not exist. */
    @PreAuthorize("hasRole('ADMIN')")
    public Optional<byte[]> screendump(String desktopId) {
        return machines.screendump(live(desktopId).name());
    }

    /**
     * Deletes a pool with all its desktops (VMs stopped, disks removed, personal ones too), entitlements and GPU
     * profile. Refused (ILLEGAL_STATE) while desktops are assigned, unless {@code force}.
     */
    @PreAuthorize("hasRole('ADMIN')")
    public void deletePool(String poolId, boolean force) {
        power.deletePool(pool(poolId), force);
    }

    private PoolStatus statusOf(Pool p) {
        List<Desktop> live = desktops.findByPool(p.id());
        int ready = 0, assigned = 0, provisioning = 0, failed = 0, stopped = 0;
        for (Desktop d : live) {
            if (d.assignedUser() != null) {
                assigned++;
            }
            switch (d.state()) {
                case READY -> ready += d.assignedUser() == null ? 1 : 0;
                case PROVISIONING, REFRESHING -> provisioning++;
                case FAILED -> failed++;
                case STOPPED -> stopped++;
                default -> { }
            }
        }
        return new PoolStatus(p, live.size(), ready, assigned, provisioning, failed, stopped, p.targetSize(assigned));
    }

    private Pool pool(String poolId) {
        return pools.findById(poolId).orElseThrow(() -> BrokerException.notFound("Pool " + poolId));
    }

    private Desktop live(String desktopId) {
        return desktops.findById(desktopId).filter(d -> d.state() != DesktopState.DELETED)
                .orElseThrow(() -> BrokerException.notFound("Desktop " + desktopId));
    }
}
