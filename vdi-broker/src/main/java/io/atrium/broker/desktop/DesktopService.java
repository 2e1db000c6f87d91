package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolService;
import io.atrium.vmm.api.ConsoleEndpoint;
import io.atrium.vmm.api.MachineHost;
import io.atrium.vmm.api.MachineInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * What users do with desktops: see theirs, open one, log off. This service is the security
 * boundary: every public method checks the caller from the security context, never a user name
 * passed in by the UI. A desktop assigned to one user is never returned to another.
 */
@Service
public class DesktopService {
    private static final Logger log = LoggerFactory.getLogger(DesktopService.class);

    private final DesktopRepository desktops;
    private final PoolService pools;
    private final DesktopRefresh refresh;
    private final DesktopRecovery recovery;
    private final MachineHost machines;
    private ApplicationEventPublisher events = event -> { };
    private io.atrium.broker.audit.AuditLog audit;

    @Autowired
    void setAudit(io.atrium.broker.audit.AuditLog audit) {
        this.audit = audit;
    }

    DesktopService(DesktopRepository desktops, PoolService pools, DesktopRefresh refresh, DesktopRecovery recovery,
                   MachineHost machines) {
        this.desktops = desktops;
        this.pools = pools;
        this.refresh = refresh;
        this.recovery = recovery;
        this.machines = machines;
    }

    @Autowired
    void setEvents(ApplicationEventPublisher events) {
        this.events = events;
    }

    /** One card per entitled pool: the user's desktop in it, or what the pool can offer. */
    public record MyDesktop(Pool pool, Optional<Desktop> desktop, long free) {
        public String displayName() {
            return desktop.map(Desktop::name).orElse(pool.name());
        }
    }

    @PreAuthorize("isAuthenticated()")
    public List<MyDesktop> myDesktops() {
        CurrentUser user = CurrentUser.get();
        List<MyDesktop> cards = new ArrayList<>();
        for (Pool pool : pools.myPools()) {
            List<Desktop> all = desktops.findByPool(pool.id());
            Optional<Desktop> mine = all.stream().filter(d -> user.name().equals(d.assignedUser())).findFirst();
            long free = all.stream().filter(d -> d.state() == DesktopState.READY && d.assignedUser() == null).count();
            cards.add(new MyDesktop(pool, mine, free));
        }
        return cards;
    }

    /**
     * Opens a desktop of the pool for the current user: the one already assigned to them, or a
     * free one, taken atomically so that no desktop is ever given to two users.
     *
     * @throws BrokerException NOT_FOUND if the pool does not exist or the user is not entitled,
     *                         NO_DESKTOP_FREE if every desktop is taken
     */
    @PreAuthorize("isAuthenticated()")
    public Desktop open(String poolId) {
        CurrentUser user = CurrentUser.get();
        Pool pool = pools.myPool(poolId);
        Optional<Desktop> existing = desktops.findAssigned(pool.id(), user.name());
        if (existing.isPresent()) {
            return opened(existing.get(), user);
        }
        // Concurrent openers start at different free desktops instead of all racing for the first.
        List<String> free = new ArrayList<>(desktops.findReadyIds(pool.id()));
        Collections.shuffle(free);
        for (String candidate : free) {
            try {
                if (desktops.assign(candidate, user.name())) {
                    Desktop d = desktops.findById(candidate).orElseThrow();
                    log.info("assigned desktop {} of pool {} to {}", d.name(), pool.name(), user.name());
                    return opened(d, user);
                }
            } catch (DuplicateKeyException raced) {
                // The same user opened the pool twice at once; the other request won.
                return opened(desktops.findAssigned(pool.id(), user.name()).orElseThrow(() -> raced), user);
            }
        }
        throw new BrokerException(BrokerStatus.NO_DESKTOP_FREE,
                "No desktop is free in pool " + pool.name() + " right now. Try again in a minute.");
    }

    private Desktop opened(Desktop d, CurrentUser user) {
        if (audit != null) {
            audit.record("desktop.open", "desktop", d.id(), java.util.Map.of("desktop", d.name(), "pool", d.poolId()));
        }
        if (d.state().isAssigned()) {
            events.publishEvent(new DesktopUserEvent(DesktopUserEvent.Kind.OPENED, d.id(), user.name()));
        }
        return d;
    }

    /**
     * The current user's desktop.
     *
     * @throws BrokerException NOT_FOUND if it does not exist, FORBIDDEN if it is not theirs
     */
    @PreAuthorize("isAuthenticated()")
    public Desktop myDesktop(String desktopId) {
        CurrentUser user = CurrentUser.get();
        Desktop d = desktops.findById(desktopId).filter(x -> x.state() != DesktopState.DELETED)
                .orElseThrow(() -> BrokerException.notFound("Desktop " + desktopId));
        if (!user.name().equals(d.assignedUser())) {
            if (recovery.wasLostBy(d.id(), user.name())) {
                throw new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE, "Your desktop " + d.name()
                        + " stopped unexpectedly and is being replaced. Open a desktop again from My desktops.");
            }
            throw new BrokerException(BrokerStatus.FORBIDDEN, "Desktop " + d.name() + " is not assigned to you");
        }
        return d;
    }

    /** Ends the current user's session on the desktop; a pooled desktop is refreshed for the next user. */
    @PreAuthorize("isAuthenticated()")
    public void logOff(String desktopId) {
        Desktop d = myDesktop(desktopId);
        refresh.logOff(d);
        if (audit != null) {
            audit.record("desktop.logoff", "desktop", d.id(), java.util.Map.of("desktop", d.name()));
        }
        events.publishEvent(new DesktopUserEvent(DesktopUserEvent.Kind.LOGGED_OFF, d.id(), d.assignedUser()));
    }

    /**
     * Internal (session reaper, admin code; callers check authorization): ends the session on an assigned
     * desktop like the user's log off. A pooled desktop is refreshed, a personal one stays assigned with its disk.
     *
     * @return false if the desktop was not assigned (nothing to end)
     */
    public boolean endSession(String desktopId) {
        Desktop d = desktops.findById(desktopId).orElse(null);
        if (d == null || !d.state().isAssigned()) {
            return false;
        }
        try {
            refresh.logOff(d);
        } catch (IllegalTransitionException raced) {
            return false;
        }
        events.publishEvent(new DesktopUserEvent(DesktopUserEvent.Kind.LOGGED_OFF, d.id(), d.assignedUser()));
        return true;
    }

    /**
     * Internal (tickets, gateway; callers check authorization): where the screen of the desktop's running machine is
     * served; empty when its machine does not run.
     */
    public Optional<ConsoleEndpoint> consoleEndpoint(String desktopId) {
        return desktops.findById(desktopId).filter(d -> d.state() != DesktopState.DELETED)
                .flatMap(d -> machines.find(d.name())).map(MachineInfo::console);
    }

    /** Internal (revocation; callers check authorization): the live desktops assigned to a user. */
    public List<Desktop> assignedTo(String username) {
        return desktops.findAssignedTo(username).stream().filter(d -> d.state().isAssigned()).toList();
    }

    /** Internal (revocation; callers check authorization): the pool's desktops that belong to a user now. */
    public List<Desktop> assignedIn(String poolId) {
        return desktops.findByPool(poolId).stream().filter(d -> d.state().isAssigned() && d.assignedUser() != null).toList();
    }

    /** Internal: looks a desktop up without an authorization check (gateway, admin code). */
    public Optional<Desktop> find(String desktopId) {
        return desktops.findById(desktopId);
    }

    /** A viewer connected to the desktop (called by the gateway listener). */
    public void viewerConnected(String desktopId) {
        desktops.transition(desktopId, DesktopState.predecessorsOf(DesktopState.CONNECTED),
                DesktopState.CONNECTED, DesktopRepository.UserChange.KEEP, null);
        events.publishEvent(new DesktopUserEvent(DesktopUserEvent.Kind.VIEWER_CONNECTED, desktopId, null));
    }

    /** The desktop's viewer went away (called by the gateway listener). */
    public void viewerDisconnected(String desktopId) {
        desktops.transition(desktopId, DesktopState.predecessorsOf(DesktopState.DISCONNECTED),
                DesktopState.DISCONNECTED, DesktopRepository.UserChange.KEEP, null);
        events.publishEvent(new DesktopUserEvent(DesktopUserEvent.Kind.VIEWER_DISCONNECTED, desktopId, null));
    }
}
