package io.atrium.broker.network;

import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolDeleted;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.api.HostNetworking;
import io.atrium.vmm.api.Ipv4;
import io.atrium.vmm.api.Ipv4Subnet;
import io.atrium.vmm.api.LabSegment;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.MachineHost;
import io.atrium.vmm.api.MachineSpec.NetworkMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Pools' desktop networks for administrators: each method checks {@code ROLE_ADMIN} itself. Input is validated as a
 * whole and every bad field is named ({@link InvalidInputException#fieldErrors()}, keys are the
 * {@link PoolNetworkSettings} component names): the mode must be one the host runs safely
 * ({@link MachineHost#networking()}); a lab's subnet must not overlap the host's own networks (as the host reports
 * them) nor another lab, and the message names the clash; its DHCP range must hold the pool's maximum size.
 *
 * <p>A change is stored, audited ({@code network.update}; a refused one too, as a failure naming the bad fields) and published ({@link PoolNetworkChanged}): new desktops
 * get it at once, idle ones are refreshed, desktops in use get it at their next refresh. A lab's switch id changes
 * with its addressing, and the host is told which switches are still wanted
 * ({@link MachineHost#retainNetworks}) after every change, every pool deletion and at start.
 */
@Service
public class PoolNetworkService {
    private static final Logger log = LoggerFactory.getLogger(PoolNetworkService.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
    /** Networks that are never a lab: "this network", loopback, link-local, multicast and reserved. */
    static final List<Ipv4Subnet> SPECIAL = List.of(Ipv4Subnet.parse("0.0.0.0/8"), Ipv4Subnet.parse("127.0.0.0/8"),
            Ipv4Subnet.parse("169.254.0.0/16"), Ipv4Subnet.parse("224.0.0.0/3"));

    private final PoolNetworkRepository repository;
    private final PoolNetworks networks;
    private final PoolRepository pools;
    private final MachineHost machines;
    private final AuditLog audit;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    PoolNetworkService(PoolNetworkRepository repository, PoolNetworks networks, PoolRepository pools,
                       MachineHost machines, AuditLog audit, ApplicationEventPublisher events, Clock clock) {
        this.repository = repository;
        this.networks = networks;
        this.pools = pools;
        this.machines = machines;
        this.audit = audit;
        this.events = events;
        this.clock = clock;
    }

    /** The pool's network (isolated if it never had one); NOT_FOUND if the pool does not exist. */
    @PreAuthorize("hasRole('ADMIN')")
    public PoolNetwork get(String poolId) {
        return networks.of(pool(poolId).id());
    }

    /** What the host can do: the modes it offers, why others are missing, its own networks. */
    @PreAuthorize("hasRole('ADMIN')")
    public HostNetworking hostNetworking() {
        try {
            return machines.networking();
        } catch (MachineException e) {
            return HostNetworking.isolatedOnly("the host did not say what it can do: " + e.getMessage());
        }
    }

    /**
     * Checks settings for a pool that does not exist yet (or {@code poolId}'s), without storing anything.
     *
     * @param maxSize the pool's maximum size (its DHCP range must hold that many); 0 to skip that check
     * @throws InvalidInputException naming every bad field
     */
    @PreAuthorize("hasRole('ADMIN')")
    public void validate(String poolId, PoolNetworkSettings settings, int maxSize) {
        resolve(poolId, maxSize, settings, Optional.empty());
    }

    /**
     * Sets the pool's network. Nothing happens when it is what the pool has already.
     *
     * @throws InvalidInputException naming every bad field; NOT_FOUND if the pool does not exist
     */
    @PreAuthorize("hasRole('ADMIN')")
    public PoolNetwork set(String poolId, PoolNetworkSettings settings) {
        Pool pool = pool(poolId);
        PoolNetwork saved;
        synchronized (this) { // one broker: overlap checks and saves of labs do not interleave
            Optional<PoolNetwork> existing = repository.find(pool.id());
            PoolNetwork wanted;
            try {
                wanted = resolve(pool.id(), pool.maxSize(), settings, existing);
            } catch (InvalidInputException e) {
                audit.record("network.update", AuditEvent.Outcome.FAILURE, "pool", pool.id(),
                        Map.of("pool", pool.name(), "fields", e.fieldErrors().keySet()));
                throw e;
            }
            if (existing.isPresent() && sameSettings(existing.get(), wanted)) {
                return existing.get();
            }
            saved = save(wanted);
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("pool", pool.name());
        detail.put("mode", saved.mode().name());
        if (saved.mode() == NetworkMode.LAB) {
            detail.put("subnet", saved.subnet());
            detail.put("nat", saved.nat());
            detail.put("switch", saved.switchId());
        }
        audit.record("network.update", "pool", pool.id(), detail);
        log.info("pool {}: network set to {}{}", pool.name(), saved.mode(),
                saved.mode() == NetworkMode.LAB ? " " + saved.subnet() + (saved.nat() ? " with NAT" : "") : "");
        events.publishEvent(new PoolNetworkChanged(pool.id()));
        retainWantedSwitches();
        return saved;
    }

    /** A pool is gone: so is its lab switch (once its last desktop stopped). */
    @EventListener
    void poolDeleted(PoolDeleted event) {
        retainWantedSwitches();
    }

    /** At start (after the provisioner re-adopted the machines): switches of pools that are gone go. */
    @EventListener
    void started(ContextRefreshedEvent event) {
        retainWantedSwitches();
    }

    /** Tells the host which lab switches the pools still want. */
    void retainWantedSwitches() {
        try {
            machines.retainNetworks(new HashSet<>(repository.labSwitchIds()));
        } catch (MachineException e) {
            log.warn("could not tell host {} which lab switches are still wanted: {}", machines.hostId(),
                    e.getMessage());
        }
    }

    // ------------------------------------------------------------------ validation

    private PoolNetwork resolve(String poolId, int maxSize, PoolNetworkSettings s, Optional<PoolNetwork> existing) {
        if (s == null) {
            throw InvalidInputException.of("mode", "is required: ISOLATED, NAT or LAB");
        }
        Map<String, String> errors = new LinkedHashMap<>();
        HostNetworking host = hostNetworking();
        NetworkMode mode = null;
        try {
            mode = s.mode() == null ? null : NetworkMode.valueOf(s.mode().strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ignored) {
            // named below
        }
        if (mode == null) {
            errors.put("mode", "must be ISOLATED, NAT or LAB");
        } else if (!host.supports(mode)) {
            errors.put("mode", "this host cannot run " + label(mode) + " desktops safely: " + host.limitation());
        }
        boolean nat = Boolean.TRUE.equals(s.nat());
        if (mode != NetworkMode.LAB) {
            if (!errors.isEmpty()) {
                throw new InvalidInputException(errors);
            }
            return new PoolNetwork(poolIdOrNew(poolId), mode, null, null, null, null, false, null, clock.instant());
        }

        Ipv4Subnet subnet = null;
        if (blank(s.subnet())) {
            errors.put("subnet", "is required for a lab network (like 10.77.0.0/24)");
        } else {
            try {
                subnet = Ipv4Subnet.parse(s.subnet().strip());
                if (subnet.prefix() < LabSegment.MIN_PREFIX || subnet.prefix() > LabSegment.MAX_PREFIX) {
                    errors.put("subnet", "must be a /" + LabSegment.MIN_PREFIX + " to /" + LabSegment.MAX_PREFIX
                            + " network");
                    subnet = null;
                }
            } catch (IllegalArgumentException e) {
                errors.put("subnet", "must be a subnet in CIDR notation, like 10.77.0.0/24 (" + e.getMessage() + ")");
            }
        }
        if (subnet != null) {
            Ipv4Subnet net = subnet;
            SPECIAL.stream().filter(net::overlaps).findFirst().ifPresent(special -> errors.put("subnet",
                    "overlaps " + special + ", which is never a lab network (loopback, link-local, multicast or "
                            + "reserved)"));
            if (!errors.containsKey("subnet")) {
                host.hostSubnets().stream().filter(net::overlaps).findFirst().ifPresent(clash -> errors.put("subnet",
                        "overlaps the host's network " + clash + "; choose another subnet"));
            }
            if (!errors.containsKey("subnet")) {
                clashWithOtherLab(poolId, net).ifPresent(message -> errors.put("subnet", message));
            }
        }

        Ipv4 gateway = null;
        Ipv4 first = null;
        Ipv4 last = null;
        if (subnet != null) {
            Ipv4 firstHost = subnet.network().plus(1);
            Ipv4 lastHost = subnet.last().plus(-1);
            gateway = address(errors, "gateway", s.gateway(), firstHost, subnet);
            if (gateway != null) {
                first = address(errors, "dhcpFirst", s.dhcpFirst(),
                        gateway.equals(firstHost) ? firstHost.plus(1) : firstHost, subnet);
                last = address(errors, "dhcpLast", s.dhcpLast(),
                        gateway.equals(lastHost) ? lastHost.plus(-1) : lastHost, subnet);
            }
            if (first != null && last != null) {
                if (first.compareTo(last) > 0) {
                    errors.put("dhcpLast", "must not come before the first DHCP address " + first);
                } else if (gateway.compareTo(first) >= 0 && gateway.compareTo(last) <= 0) {
                    errors.put("gateway", "lies in the DHCP range " + first + "-" + last
                            + "; choose a gateway outside it or another range");
                } else {
                    long size = last.unsigned() - first.unsigned() + 1;
                    if (maxSize > 0 && size < maxSize) {
                        errors.put("dhcpLast", "the DHCP range " + first + "-" + last + " holds " + size
                                + " address(es), fewer than the pool's maximum size (" + maxSize + ")");
                    }
                }
            }
        }
        if (nat && !host.supports(NetworkMode.NAT)) {
            errors.put("nat", "this host cannot give lab networks NAT: " + host.limitation());
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        LabSegment segment = new LabSegment(subnet.toString(), gateway.toString(), first.toString(), last.toString(),
                nat);
        String switchId = existing.filter(e -> e.mode() == NetworkMode.LAB && e.segment().orElseThrow().equals(segment))
                .map(PoolNetwork::switchId).orElseGet(PoolNetworkService::newSwitchId);
        return new PoolNetwork(poolIdOrNew(poolId), NetworkMode.LAB, segment.subnet(), segment.gateway(),
                segment.dhcpFirst(), segment.dhcpLast(), nat, switchId, clock.instant());
    }

    private Optional<String> clashWithOtherLab(String poolId, Ipv4Subnet subnet) {
        for (PoolNetwork other : repository.findAll()) {
            if (other.mode() != NetworkMode.LAB || other.poolId().equals(poolId)) {
                continue;
            }
            if (Ipv4Subnet.parse(other.subnet()).overlaps(subnet)) {
                String name = pools.findById(other.poolId()).map(Pool::name).orElse(other.poolId());
                return Optional.of("overlaps the lab network " + other.subnet() + " of pool " + name
                        + "; choose another subnet");
            }
        }
        return Optional.empty();
    }

    /** The address in {@code text} (or {@code fallback} when blank), which must be a host address of the subnet. */
    private static Ipv4 address(Map<String, String> errors, String field, String text, Ipv4 fallback, Ipv4Subnet subnet) {
        Ipv4 value;
        if (blank(text)) {
            value = fallback;
        } else if (!Ipv4.isValid(text.strip())) {
            errors.put(field, "must be an IPv4 address, like " + fallback);
            return null;
        } else {
            value = Ipv4.parse(text.strip());
        }
        if (!subnet.containsHost(value)) {
            errors.put(field, "must be a host address of " + subnet + " (not its network or broadcast address)");
            return null;
        }
        return value;
    }

    private PoolNetwork save(PoolNetwork n) {
        for (int attempt = 0; ; attempt++) {
            try {
                repository.save(n);
                return n;
            } catch (DuplicateKeyException e) {
                if (n.switchId() == null || attempt >= 3) {
                    throw e;
                }
                n = new PoolNetwork(n.poolId(), n.mode(), n.subnet(), n.gateway(), n.dhcpFirst(), n.dhcpLast(), n.nat(),
                        newSwitchId(), n.updatedAt());
            }
        }
    }

    private static boolean sameSettings(PoolNetwork a, PoolNetwork b) {
        return a.mode() == b.mode() && Objects.equals(a.subnet(), b.subnet()) && Objects.equals(a.gateway(), b.gateway())
                && Objects.equals(a.dhcpFirst(), b.dhcpFirst()) && Objects.equals(a.dhcpLast(), b.dhcpLast())
                && a.nat() == b.nat();
    }

    private Pool pool(String poolId) {
        return pools.findById(poolId).orElseThrow(() -> BrokerException.notFound("Pool " + poolId));
    }

    private static String poolIdOrNew(String poolId) {
        return poolId == null ? "new" : poolId;
    }

    private static String newSwitchId() {
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            id.append(ID_CHARS.charAt(RANDOM.nextInt(ID_CHARS.length())));
        }
        return id.toString();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    static String label(NetworkMode mode) {
        return switch (mode) {
            case ISOLATED -> "isolated";
            case NAT -> "NAT";
            case LAB -> "lab network";
        };
    }
}
