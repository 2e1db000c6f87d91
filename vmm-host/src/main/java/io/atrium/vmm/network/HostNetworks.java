package io.atrium.vmm.network;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.api.HostNetworking;
import io.atrium.vmm.api.Ipv4;
import io.atrium.vmm.api.Ipv4Subnet;
import io.atrium.vmm.api.LabSegment;
import io.atrium.vmm.api.MachineSpec.NetworkAttachment;
import io.atrium.vmm.api.MachineSpec.NetworkMode;
import io.atrium.vmm.disk.DirectoryCache;
import io.atrium.vmm.process.ProcessRunner;
import io.atrium.vmm.qemu.NetBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Desktop networks on this host: the NAT namespace, the lab switches and the host guard that keeps both away from
 * the host. Made when a machine first needs them ({@link #attach}), kept while wanted, removed when no longer wanted
 * and unused ({@link #retain}, {@link #detach}) or all at once ({@link #removeAll}); after a restart that kept VMs
 * running they are checked and re-adopted, not made again ({@link #adopt}).
 *
 * <ul>
 *   <li><b>NAT</b>: QEMU runs inside the namespace {@code <prefix>-nat} with user-mode networking
 *       ({@link NetBackend.Nat}); the namespace's one link leads to the host, and the host guard ({@link NftRules#host})
 *       rejects everything from it for the host itself and forwards it only out of the uplink, masqueraded. No extra
 *       process.</li>
 *   <li><b>Lab</b>: per switch id, the namespace {@code <prefix>-lab-<id>} holds a persistent tap {@code tap0} with the
 *       segment's gateway address, a {@code vde_switch} on it (QEMU joins its socket directory, mode 0770, as
 *       {@link NetBackend.Switch}: no privilege and no tap for QEMU), {@code dnsmasq} for DHCP (and DNS: desktop
 *       names under {@code .lab}) on {@code tap0}, and with NAT a link to the host under the same guard, the segment
 *       masqueraded behind the link's address (so labs may share a subnet). Two daemons per switch.</li>
 * </ul>
 *
 * <p>Everything is named by {@link NetworkLayout} from the configured prefix. Thread safe (one lock: the commands take
 * milliseconds). The host commands run through {@link HostCommands} ({@code ProcessRunner}).
 */
public final class HostNetworks {

    private static final Logger log = LoggerFactory.getLogger(HostNetworks.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** How long a daemon may take to write its pid file (and the switch its control socket). */
    private static final long DAEMON_WAIT_MS = 5000;

    private final NetworkProperties properties;
    private final NetworkCapabilities capabilities;
    private final NetworkLayout layout;
    private final HostCommands commands;
    private final Object lock = new Object();
    /** Machine name → the switch it is attached to. Guarded by {@link #lock}; mirrored in {@code users/}. */
    private final Map<String, String> users = new HashMap<>();

    /** Desktop networks with the capabilities of this process ({@link NetworkCapabilities#probe()}). */
    public HostNetworks(VmmProperties vmm, NetworkProperties properties) {
        this(vmm, properties, NetworkCapabilities.probe());
    }

    /**
     * @param capabilities what this process may do; tests pass {@link NetworkCapabilities#isolatedOnly} to see the
     *                     behaviour of an unprivileged host
     */
    public HostNetworks(VmmProperties vmm, NetworkProperties properties, NetworkCapabilities capabilities) {
        this.properties = Objects.requireNonNull(properties, "properties");
        this.capabilities = Objects.requireNonNull(capabilities, "capabilities");
        this.layout = new NetworkLayout(vmm.dataDir().resolve("net"), properties.prefix(), properties.transfer());
        this.commands = new HostCommands(properties.commandTimeout());
        if (capabilities.limitation().isEmpty()) {
            log.info("desktop networks: isolated, NAT and lab networks available (prefix {}, uplink {})",
                    properties.prefix(), properties.uplink());
        } else {
            log.warn("desktop networks: {}", capabilities.limitation());
        }
        if (!vmm.keepVmsOnExit() && (capabilities.nat() || capabilities.lab()) && hasAnything()) {
            log.warn("desktop networks: removing what a previous run left (VMs are not kept across restarts)");
            removeAll();
        }
    }

    public NetworkProperties properties() {
        return properties;
    }

    public NetworkCapabilities capabilities() {
        return capabilities;
    }

    /** {@code dataDir/net}. */
    public Path stateDir() {
        return layout.dir();
    }

    /** The lab switches that exist (have a state directory). */
    public List<String> switches() {
        synchronized (lock) {
            return layout.switchIds();
        }
    }

    /** What this host can do, its own networks and its switches, as the machines contract's value. */
    public HostNetworking describe() {
        Set<NetworkMode> modes = EnumSet.of(NetworkMode.ISOLATED);
        List<String> problems = new ArrayList<>();
        if (!capabilities.limitation().isEmpty()) {
            problems.add(capabilities.limitation());
        }
        if (capabilities.nat()) {
            Optional<String> uplink = uplink();
            if (uplink.isPresent()) {
                modes.add(NetworkMode.NAT);
            } else {
                problems.add("NAT needs an uplink: " + (properties.uplink().equals(NetworkProperties.AUTO)
                        ? "the host has no IPv4 default route" : "interface " + properties.uplink() + " does not exist")
                        + " (atrium.vmm.network.uplink).");
            }
        }
        if (capabilities.lab()) {
            modes.add(NetworkMode.LAB);
        }
        return new HostNetworking(modes, String.join(" ", problems), hostSubnets(), switches());
    }

    /**
     * Makes (or checks) what {@code attachment} needs and records that {@code machine} uses it.
     *
     * @return the NIC backend for the machine's QEMU
     * @throws NetworkUnavailableException if this host cannot run the mode safely
     * @throws VmmException if making it failed (what was half made is removed again)
     */
    public NetBackend attach(String machine, NetworkAttachment attachment) {
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(attachment, "attachment");
        synchronized (lock) {
            detachLocked(machine);
            return switch (attachment.mode()) {
                case ISOLATED -> new NetBackend.Restricted();
                case NAT -> {
                    requireNat("NAT desktops");
                    ensureNat();
                    yield new NetBackend.Nat(layout.natNamespace());
                }
                case LAB -> {
                    String id = attachment.switchId().orElseThrow();
                    LabSegment segment = attachment.segment().orElseThrow();
                    if (!capabilities.lab()) {
                        throw new NetworkUnavailableException("lab networks are not available on this host: "
                                + capabilities.limitation());
                    }
                    if (segment.nat()) {
                        requireNat("a lab network with NAT");
                    }
                    ensureSwitch(id, segment);
                    addUser(machine, id);
                    yield new NetBackend.Switch(layout.switchSockets(id));
                }
            };
        }
    }

    /**
     * The machine no longer runs: it no longer holds its switch, which is removed now if it was retired
     * ({@link #retain}) and this was its last machine.
     */
    public void detach(String machine) {
        synchronized (lock) {
            detachLocked(machine);
        }
    }

    /**
     * Keeps the switches in {@code keep}; every other one is removed now if no machine is attached, otherwise marked
     * retired and removed with its last machine.
     */
    public void retain(Set<String> keep) {
        Objects.requireNonNull(keep, "keep");
        synchronized (lock) {
            for (String id : layout.switchIds()) {
                if (keep.contains(id)) {
                    deleteQuietly(layout.retiredMarker(id));
                } else if (usersOf(id).isEmpty()) {
                    removeSwitch(id, "no longer wanted");
                } else {
                    writeFile(layout.retiredMarker(id), "");
                    log.info("lab switch {}: no longer wanted; removed once its {} machine(s) stopped", id,
                            usersOf(id).size());
                }
            }
        }
    }

    /**
     * At start-up after a restart that kept VMs running: checks every switch and the NAT namespace and repairs what
     * is missing (a dead daemon is started again, a missing namespace made again), re-applies the guard, forgets
     * machines not in {@code running}, and removes retired switches that nobody uses any more.
     */
    public void adopt(Set<String> running) {
        Objects.requireNonNull(running, "running");
        synchronized (lock) {
            users.clear();
            for (String id : layout.switchIds()) {
                for (String machine : storedUsers(id)) {
                    if (running.contains(machine)) {
                        users.put(machine, id);
                    } else {
                        deleteQuietly(layout.users(id).resolve(machine));
                    }
                }
            }
            if (!capabilities.nat() && !capabilities.lab()) {
                return;
            }
            if (Files.isDirectory(layout.natDir())) {
                try {
                    ensureNat();
                    log.info("desktop networks: NAT namespace {} re-adopted", layout.natNamespace());
                } catch (VmmException e) {
                    log.warn("desktop networks: NAT namespace {} could not be re-adopted: {}", layout.natNamespace(),
                            e.getMessage());
                }
            }
            for (String id : layout.switchIds()) {
                if (Files.exists(layout.retiredMarker(id)) && usersOf(id).isEmpty()) {
                    removeSwitch(id, "retired and unused");
                    continue;
                }
                Optional<LabSegment> segment = readSegment(id);
                if (segment.isEmpty()) {
                    removeSwitch(id, "its record is unreadable");
                    continue;
                }
                boolean retired = Files.exists(layout.retiredMarker(id));
                try {
                    ensureSwitch(id, segment.get());
                    if (retired) {
                        writeFile(layout.retiredMarker(id), ""); // still goes with its last machine
                    }
                    log.info("lab switch {} re-adopted (vde_switch pid {}, dnsmasq pid {}, {} machine(s))", id,
                            pidOf(layout.switchPid(id), id), pidOf(layout.dnsmasqPid(id), id), usersOf(id).size());
                } catch (VmmException e) {
                    log.warn("lab switch {} could not be re-adopted: {}", id, e.getMessage());
                }
            }
        }
    }

    /**
     * Removes every switch, the NAT namespace and the host guard, restores the uplink's forwarding setting, and
     * deletes the state: when Atrium stops without keeping VMs, and at start for what a crashed run left.
     */
    public void removeAll() {
        synchronized (lock) {
            users.clear();
            for (String id : layout.switchIds()) {
                removeSwitch(id, "removing all desktop networks");
            }
            removeNat();
            for (long pid : HostCommands.processesWith(layout.dir() + "/")) {
                log.warn("desktop networks: stopping stray process {} ({})", pid, HostCommands.commandLine(pid));
                HostCommands.stop(pid);
            }
            removeHostGuard();
            restoreUplinkForwarding();
            DirectoryCache.deleteTree(layout.dir());
        }
    }

    // ------------------------------------------------------------------ NAT namespace

    private void requireNat(String what) {
        if (!capabilities.nat()) {
            throw new NetworkUnavailableException(what + " are not available on this host: "
                    + capabilities.limitation());
        }
        if (uplink().isEmpty()) {
            throw new NetworkUnavailableException(what + " need an uplink, and there is none ("
                    + "atrium.vmm.network.uplink=" + properties.uplink() + ")");
        }
    }

    private void ensureNat() {
        String ns = layout.natNamespace();
        String link = layout.natLink();
        if (commands.namespaceExists(ns) && commands.linkExists(link) && Files.isRegularFile(layout.rules(layout.natDir()))) {
            applyNamespaceRules(ns, layout.natDir(), NftRules.nat());
            writeResolvConf();
            applyHostGuard();
            return;
        }
        if (commands.namespaceExists(ns) && !Files.isDirectory(layout.natDir())) {
            throw new VmmException("the network namespace " + ns + " exists but is not this installation's (no "
                    + layout.natDir() + "): does another Atrium on this host use atrium.vmm.network.prefix="
                    + layout.prefix() + "?");
        }
        log.info("desktop networks: making the NAT namespace {}", ns);
        removeNat();
        try {
            createDir(layout.natDir());
            commands.ip("netns", "add", ns);
            disableIpv6(ns);
            makeLink(ns, link, 0);
            applyNamespaceRules(ns, layout.natDir(), NftRules.nat());
            writeResolvConf();
            applyHostGuard();
        } catch (RuntimeException e) {
            try {
                removeNat();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new VmmException("cannot make the NAT namespace " + ns + ": " + e.getMessage(), e);
        }
    }

    /** Removes this installation's NAT namespace (only if its state directory says it made one). */
    private void removeNat() {
        if (!Files.isDirectory(layout.natDir())) {
            return;
        }
        commands.deleteNamespace(layout.natNamespace());
        deleteQuietly(layout.natResolvConf());
        deleteQuietly(layout.natResolvConf().getParent());
        DirectoryCache.deleteTree(layout.natDir());
        applyHostGuard();
    }

    private void writeResolvConf() {
        StringBuilder text = new StringBuilder("# Atrium NAT desktops (user-mode networking's DNS proxy)\n");
        List<String> servers = dnsServers();
        servers.forEach(s -> text.append("nameserver ").append(s).append('\n'));
        if (servers.isEmpty()) {
            log.warn("desktop networks: no DNS server for NAT desktops (none configured and none but loopback ones in "
                    + "/etc/resolv.conf): set atrium.vmm.network.dns-servers");
        }
        try {
            Files.createDirectories(layout.natResolvConf().getParent());
            Files.writeString(layout.natResolvConf(), text.toString());
        } catch (IOException e) {
            throw new VmmException("cannot write " + layout.natResolvConf() + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ lab switches

    private void ensureSwitch(String id, LabSegment segment) {
        Optional<LabSegment> existing = readSegment(id);
        if (existing.isPresent() && !existing.get().equals(segment)) {
            if (!usersOf(id).isEmpty()) {
                throw new VmmException("lab switch " + id + " runs with other addressing (" + existing.get().subnet()
                        + ") and has machines; new addressing needs a new switch id");
            }
            removeSwitch(id, "its addressing changed");
            existing = Optional.empty();
        }
        deleteQuietly(layout.retiredMarker(id));
        String ns = layout.labNamespace(id);
        if (existing.isPresent() && commands.namespaceExists(ns)) {
            repairSwitch(id, segment);
            return;
        }
        if (existing.isEmpty() && !Files.isDirectory(layout.labDir(id)) && commands.namespaceExists(ns)) {
            throw new VmmException("the network namespace " + ns + " exists but is not this installation's (no "
                    + layout.labDir(id) + "): does another Atrium on this host use atrium.vmm.network.prefix="
                    + layout.prefix() + "?");
        }
        if (existing.isPresent() || Files.isDirectory(layout.labDir(id))) {
            removeSwitch(id, "incomplete");
        }
        log.info("lab switch {}: making it ({}, gateway {}, DHCP {}-{}{})", id, segment.subnet(), segment.gateway(),
                segment.dhcpFirst(), segment.dhcpLast(), segment.nat() ? ", NAT" : ", no NAT");
        try {
            createDir(layout.labDir(id));
            createDir(layout.users(id));
            int transfer = segment.nat() ? freeTransferLink() : -1;
            writeSegment(id, segment, transfer);
            commands.ip("netns", "add", ns);
            disableIpv6(ns);
            commands.sysctlIn(ns, "net.ipv4.ip_forward", segment.nat() ? "1" : "0");
            commands.ipIn(ns, "link", "set", "lo", "up");
            commands.ipIn(ns, "tuntap", "add", "dev", NetworkLayout.TAP, "mode", "tap");
            commands.ipIn(ns, "addr", "add", segment.gateway() + "/" + segment.network().prefix(), "dev",
                    NetworkLayout.TAP);
            commands.ipIn(ns, "link", "set", NetworkLayout.TAP, "up");
            if (segment.nat()) {
                makeLink(ns, layout.labLink(id), transfer);
            }
            applyNamespaceRules(ns, layout.labDir(id), NftRules.lab(NetworkLayout.TAP, NetworkLayout.UPLINK,
                    segment.nat()));
            startSwitch(id, segment);
            startDnsmasq(id, segment);
            if (segment.nat()) {
                applyHostGuard();
            }
        } catch (RuntimeException e) {
            try {
                removeSwitch(id, "making it failed");
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new VmmException("cannot make lab switch " + id + ": " + e.getMessage(), e);
        }
    }

    /** The switch's namespace exists: start what died, re-apply the rules. */
    private void repairSwitch(String id, LabSegment segment) {
        String ns = layout.labNamespace(id);
        if (segment.nat() && !commands.linkExists(layout.labLink(id))) {
            throw new VmmException("lab switch " + id + ": its link " + layout.labLink(id) + " is gone");
        }
        applyNamespaceRules(ns, layout.labDir(id), NftRules.lab(NetworkLayout.TAP, NetworkLayout.UPLINK, segment.nat()));
        if (HostCommands.livePid(layout.switchPid(id), layout.switchSockets(id).toString()).isEmpty()) {
            log.warn("lab switch {}: vde_switch is not running; starting it again (machines that were attached to the "
                    + "old one lost their network until they are restarted)", id);
            startSwitch(id, segment);
        }
        if (HostCommands.livePid(layout.dnsmasqPid(id), layout.labDir(id).toString()).isEmpty()) {
            log.warn("lab switch {}: dnsmasq is not running; starting it again", id);
            startDnsmasq(id, segment);
        }
        if (segment.nat()) {
            applyHostGuard();
        }
    }

    private void startSwitch(String id, LabSegment segment) {
        Path sockets = layout.switchSockets(id);
        int ports = (int) Math.min(1024, Math.max(32, segment.dhcpSize() + 2));
        deleteQuietly(layout.switchPid(id));
        commands.inNamespace(layout.labNamespace(id), "vde_switch", "--tap", NetworkLayout.TAP,
                "--sock", sockets.toString(), "--mode", "660", "--dirmode", "770", "--numports", Integer.toString(ports),
                "--daemon", "--pidfile", layout.switchPid(id).toString());
        awaitDaemon(layout.switchPid(id), sockets.toString(), "vde_switch of lab switch " + id);
        awaitFile(layout.switchControl(id), "the control socket of lab switch " + id);
    }

    private void startDnsmasq(String id, LabSegment segment) {
        deleteQuietly(layout.dnsmasqPid(id));
        List<String> argv = new ArrayList<>(List.of("dnsmasq", "--conf-file=/dev/null",
                "--pid-file=" + layout.dnsmasqPid(id), "--interface=" + NetworkLayout.TAP, "--bind-interfaces",
                "--except-interface=lo", "--no-hosts", "--no-resolv", "--dhcp-authoritative",
                "--dhcp-range=" + segment.dhcpFirst() + "," + segment.dhcpLast() + ","
                        + segment.network().netmask() + ",12h",
                "--dhcp-leasefile=" + layout.leases(id),
                segment.nat() ? "--dhcp-option=option:router," + segment.gateway() : "--dhcp-option=option:router",
                "--dhcp-option=option:dns-server," + segment.gateway(),
                "--domain=lab", "--local=/lab/", "--log-facility=" + layout.dnsmasqLog(id)));
        if (segment.nat()) {
            dnsServers().forEach(s -> argv.add("--server=" + s));
        }
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", layout.labNamespace(id)));
        all.addAll(argv);
        commands.run(all);
        awaitDaemon(layout.dnsmasqPid(id), layout.labDir(id).toString(), "dnsmasq of lab switch " + id);
    }

    private void removeSwitch(String id, String why) {
        log.info("lab switch {}: removing it ({})", id, why);
        boolean nat = readSegment(id).map(LabSegment::nat).orElse(true);
        for (Path pidFile : List.of(layout.dnsmasqPid(id), layout.switchPid(id))) {
            pidOfLive(pidFile, id).ifPresent(HostCommands::stop);
        }
        for (long pid : HostCommands.processesWith(layout.labDir(id) + "/")) {
            HostCommands.stop(pid);
        }
        commands.deleteNamespace(layout.labNamespace(id));
        users.values().removeIf(id::equals);
        DirectoryCache.deleteTree(layout.labDir(id));
        if (nat) {
            applyHostGuard();
        }
    }

    private int freeTransferLink() {
        Set<Integer> used = new HashSet<>();
        used.add(0); // the NAT namespace's
        for (String other : layout.switchIds()) {
            readRecord(other).ifPresent(r -> used.add(r.path("transfer").asInt(-1)));
        }
        for (int n = 1; n < layout.transferLinks(); n++) {
            if (!used.contains(n)) {
                return n;
            }
        }
        throw new VmmException("no free link in atrium.vmm.network.transfer-subnet " + layout.transfer()
                + " (one /30 per NAT lab): make it larger");
    }

    private void writeSegment(String id, LabSegment segment, int transfer) {
        ObjectNode record = JSON.createObjectNode();
        record.put("id", id);
        record.put("subnet", segment.subnet());
        record.put("gateway", segment.gateway());
        record.put("dhcpFirst", segment.dhcpFirst());
        record.put("dhcpLast", segment.dhcpLast());
        record.put("nat", segment.nat());
        record.put("transfer", transfer);
        writeFile(layout.switchRecord(id), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(record) + "\n");
    }

    private Optional<JsonNode> readRecord(String id) {
        try {
            return Optional.of(JSON.readTree(Files.readString(layout.switchRecord(id))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private Optional<LabSegment> readSegment(String id) {
        return readRecord(id).flatMap(r -> {
            try {
                return Optional.of(new LabSegment(r.path("subnet").asString(), r.path("gateway").asString(),
                        r.path("dhcpFirst").asString(), r.path("dhcpLast").asString(), r.path("nat").asBoolean()));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        });
    }

    private int transferOf(String id) {
        return readRecord(id).map(r -> r.path("transfer").asInt(-1)).orElse(-1);
    }

    // ------------------------------------------------------------------ users of switches

    private void addUser(String machine, String id) {
        users.put(machine, id);
        writeFile(layout.users(id).resolve(machine), "");
    }

    private void detachLocked(String machine) {
        String id = users.remove(machine);
        if (id == null) {
            return;
        }
        deleteQuietly(layout.users(id).resolve(machine));
        if (Files.exists(layout.retiredMarker(id)) && usersOf(id).isEmpty()) {
            removeSwitch(id, "retired, and its last machine stopped");
        }
    }

    private Set<String> usersOf(String id) {
        Set<String> of = new TreeSet<>();
        users.forEach((machine, sw) -> {
            if (sw.equals(id)) {
                of.add(machine);
            }
        });
        return of;
    }

    private List<String> storedUsers(String id) {
        Path dir = layout.users(id);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    // ------------------------------------------------------------------ links and the host guard

    /** A veth pair: {@code hostLink} on the host, {@code up0} in the namespace, transfer /30 number {@code n}. */
    private void makeLink(String ns, String hostLink, int n) {
        String host = layout.hostEnd(n).toString();
        String inside = layout.namespaceEnd(n).toString();
        commands.ip("link", "add", hostLink, "type", "veth", "peer", "name", NetworkLayout.UPLINK, "netns", ns);
        commands.writeHostSysctl("net/ipv6/conf/" + hostLink + "/disable_ipv6", "1");
        commands.ip("addr", "add", host + "/30", "dev", hostLink);
        commands.ip("link", "set", hostLink, "up");
        commands.writeHostSysctl("net/ipv4/conf/" + hostLink + "/forwarding", "1");
        commands.ipIn(ns, "addr", "add", inside + "/30", "dev", NetworkLayout.UPLINK);
        commands.ipIn(ns, "link", "set", NetworkLayout.UPLINK, "up");
        commands.ipIn(ns, "route", "add", "default", "via", host);
    }

    /** The host guard for the links that exist now; forwarding on the uplink while there are any. */
    private void applyHostGuard() {
        List<String> links = new ArrayList<>();
        if (commands.linkExists(layout.natLink())) {
            links.add(layout.natLink());
        }
        for (String id : layout.switchIds()) {
            if (transferOf(id) > 0 && commands.linkExists(layout.labLink(id))) {
                links.add(layout.labLink(id));
            }
        }
        if (links.isEmpty()) {
            removeHostGuard();
            restoreUplinkForwarding();
            return;
        }
        Optional<String> uplink = uplink();
        String rules = NftRules.host(layout.prefix(), links, uplink, layout.transfer().toString());
        writeFile(layout.hostRules(), rules);
        commands.nft(Optional.empty(), layout.hostRules());
        uplink.ifPresent(this::enableUplinkForwarding);
    }

    /** Deletes the host guard table if this installation applied it ({@code host.nft} says so). */
    private void removeHostGuard() {
        if (Files.isRegularFile(layout.hostRules())) {
            commands.deleteNftTable(layout.hostTable());
            deleteQuietly(layout.hostRules());
        }
    }

    /** Forwarding must be on where the answers come in (the uplink); the previous value is kept to restore. */
    private void enableUplinkForwarding(String uplink) {
        String key = "net/ipv4/conf/" + uplink + "/forwarding";
        Optional<String> now = commands.readHostSysctl(key);
        if (now.isEmpty() || now.get().equals("1")) {
            return;
        }
        writeFile(layout.uplinkRecord(), uplink + " " + now.get() + "\n");
        commands.writeHostSysctl(key, "1");
        log.info("desktop networks: turned on IPv4 forwarding on the uplink {} (for NAT answers; restored when the "
                + "last NAT network is removed)", uplink);
    }

    private void restoreUplinkForwarding() {
        Path record = layout.uplinkRecord();
        if (!Files.isRegularFile(record)) {
            return;
        }
        try {
            String[] parts = Files.readString(record).strip().split(" ");
            if (parts.length == 2 && commands.linkExists(parts[0])) {
                commands.writeHostSysctl("net/ipv4/conf/" + parts[0] + "/forwarding", parts[1]);
                log.info("desktop networks: IPv4 forwarding on {} restored to {}", parts[0], parts[1]);
            }
        } catch (IOException | VmmException e) {
            log.warn("desktop networks: cannot restore the uplink's forwarding setting: {}", e.getMessage());
        }
        deleteQuietly(record);
    }

    /** The uplink interface, if there is one now. */
    Optional<String> uplink() {
        if (!properties.uplink().equals(NetworkProperties.AUTO)) {
            return commands.linkExists(properties.uplink()) ? Optional.of(properties.uplink()) : Optional.empty();
        }
        try {
            for (JsonNode route : commands.ipJson("-4", "route", "show", "default")) {
                String dev = route.path("dev").asString("");
                if (!dev.isEmpty()) {
                    return Optional.of(dev);
                }
            }
        } catch (RuntimeException e) {
            log.debug("no default route: {}", e.getMessage());
        }
        return Optional.empty();
    }

    private void applyNamespaceRules(String ns, Path dir, String rules) {
        Path file = layout.rules(dir);
        writeFile(file, rules);
        commands.nft(Optional.of(ns), file);
    }

    private void disableIpv6(String ns) {
        commands.sysctlIn(ns, "net.ipv6.conf.all.disable_ipv6", "1");
        commands.sysctlIn(ns, "net.ipv6.conf.default.disable_ipv6", "1");
    }

    // ------------------------------------------------------------------ host facts

    /**
     * The host's own IPv4 networks: each interface address's network, each route's destination (the default route
     * aside), and the transfer subnet. Atrium's own links and namespaces are not the host's networks.
     */
    List<Ipv4Subnet> hostSubnets() {
        Set<String> ours = new HashSet<>();
        ours.add(layout.natLink());
        layout.switchIds().forEach(id -> ours.add(layout.labLink(id)));
        Set<Ipv4Subnet> subnets = new TreeSet<>((a, b) -> a.network().equals(b.network())
                ? Integer.compare(a.prefix(), b.prefix()) : a.network().compareTo(b.network()));
        subnets.add(layout.transfer());
        if (ProcessRunner.which("ip").isPresent()) {
            try {
                for (JsonNode link : commands.ipJson("-4", "addr", "show")) {
                    if (ours.contains(link.path("ifname").asString(""))) {
                        continue;
                    }
                    for (JsonNode a : link.path("addr_info")) {
                        if (Ipv4.isValid(a.path("local").asString(""))) {
                            subnets.add(Ipv4Subnet.containing(Ipv4.parse(a.path("local").asString()),
                                    a.path("prefixlen").asInt(32)));
                        }
                    }
                }
                for (JsonNode route : commands.ipJson("-4", "route", "show", "table", "main")) {
                    String dst = route.path("dst").asString("");
                    if (dst.equals("default") || ours.contains(route.path("dev").asString(""))) {
                        continue;
                    }
                    try {
                        subnets.add(dst.contains("/") ? Ipv4Subnet.parse(dst) : Ipv4Subnet.containing(Ipv4.parse(dst), 32));
                    } catch (IllegalArgumentException ignored) {
                        // not an IPv4 network (e.g. a multicast or blackhole entry we do not need)
                    }
                }
            } catch (RuntimeException e) {
                log.warn("desktop networks: cannot read the host's networks: {}", e.getMessage());
            }
        }
        return List.copyOf(subnets);
    }

    /** The DNS servers for NAT desktops and NAT labs. */
    List<String> dnsServers() {
        if (!properties.dnsServers().isEmpty()) {
            return properties.dnsServers();
        }
        List<String> servers = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"), StandardCharsets.UTF_8)) {
                String[] parts = line.strip().split("\\s+");
                if (parts.length >= 2 && parts[0].equals("nameserver") && Ipv4.isValid(parts[1])
                        && !parts[1].startsWith("127.")) {
                    servers.add(parts[1]);
                }
            }
        } catch (IOException e) {
            log.debug("no /etc/resolv.conf: {}", e.getMessage());
        }
        return servers;
    }

    // ------------------------------------------------------------------ small helpers

    /** Only what this installation's state directory records is ever removed (another one may use the prefix). */
    private boolean hasAnything() {
        return Files.isDirectory(layout.dir());
    }

    private OptionalLong pidOfLive(Path pidFile, String id) {
        return HostCommands.livePid(pidFile, layout.labDir(id).toString());
    }

    private String pidOf(Path pidFile, String id) {
        OptionalLong pid = pidOfLive(pidFile, id);
        return pid.isPresent() ? Long.toString(pid.getAsLong()) : "none";
    }

    private static void awaitDaemon(Path pidFile, String marker, String what) {
        long deadline = System.currentTimeMillis() + DAEMON_WAIT_MS;
        while (HostCommands.livePid(pidFile, marker).isEmpty()) {
            if (System.currentTimeMillis() > deadline) {
                throw new VmmException(what + " did not start (no live process in " + pidFile + ")");
            }
            sleep();
        }
    }

    private static void awaitFile(Path file, String what) {
        long deadline = System.currentTimeMillis() + DAEMON_WAIT_MS;
        while (!Files.exists(file)) {
            if (System.currentTimeMillis() > deadline) {
                throw new VmmException(what + " did not appear: " + file);
            }
            sleep();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted", e);
        }
    }

    private static void createDir(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Path parent = dir.getParent();
            if (parent != null && parent.getFileName().toString().equals("net")) {
                Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx------"));
            }
        } catch (IOException e) {
            throw new VmmException("cannot make " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void writeFile(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new VmmException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.debug("cannot delete {}: {}", file, e.getMessage());
        }
    }
}
