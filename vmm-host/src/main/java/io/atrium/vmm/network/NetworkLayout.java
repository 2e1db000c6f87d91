package io.atrium.vmm.network;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.api.Ipv4;
import io.atrium.vmm.api.Ipv4Subnet;
import io.atrium.vmm.api.MachineSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The names of everything desktop networks make, on disk and on the host; the only place that spells them.
 *
 * <pre>
 * dataDir/net/                  0700
 *   host.nft                    the host guard as last applied (table inet &lt;prefix&gt;_guard)
 *   uplink                      "&lt;interface&gt; &lt;forwarding before&gt;" while Atrium turned forwarding on there
 *   nat/                        the NAT namespace &lt;prefix&gt;-nat (link &lt;prefix&gt;nat, transfer /30 number 0)
 *     rules.nft                 its table inet atrium
 *   lab-&lt;switch&gt;/                one lab switch: namespace &lt;prefix&gt;-lab-&lt;switch&gt;, link &lt;prefix&gt;l&lt;switch&gt;
 *     switch.json               its segment and transfer /30 number (written first)
 *     sw/ctl                    the VDE switch's control socket (sw/ is 0770: who may join)
 *     switch.pid dnsmasq.pid    the daemons (vde_switch, dnsmasq) running in the namespace
 *     dnsmasq.leases dnsmasq.log
 *     rules.nft                 its table inet atrium
 *     users/&lt;machine&gt;          one empty file per machine attached to the switch
 *     retired                   present once the switch is no longer wanted; removed with its last machine
 * </pre>
 * Names inside the namespaces: {@code up0} (the link to the host), {@code tap0} (the lab router's switch port).
 */
final class NetworkLayout {

    /** The namespace end of every link to the host. */
    static final String UPLINK = "up0";
    /** The lab router's port on its switch. */
    static final String TAP = "tap0";

    private final Path dir;
    private final String prefix;
    private final Ipv4Subnet transfer;

    NetworkLayout(Path dir, String prefix, Ipv4Subnet transfer) {
        this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        this.transfer = Objects.requireNonNull(transfer, "transfer");
    }

    Path dir() {
        return dir;
    }

    String prefix() {
        return prefix;
    }

    Ipv4Subnet transfer() {
        return transfer;
    }

    String hostTable() {
        return NftRules.hostTable(prefix);
    }

    Path hostRules() {
        return dir.resolve("host.nft");
    }

    Path uplinkRecord() {
        return dir.resolve("uplink");
    }

    // ---- the NAT namespace

    String natNamespace() {
        return prefix + "-nat";
    }

    String natLink() {
        return prefix + "nat";
    }

    Path natDir() {
        return dir.resolve("nat");
    }

    /** {@code /etc/netns/<namespace>/resolv.conf}: what {@code ip netns exec} shows QEMU as its resolv.conf. */
    Path natResolvConf() {
        return Path.of("/etc/netns", natNamespace(), "resolv.conf");
    }

    // ---- lab switches

    String labNamespace(String id) {
        return prefix + "-lab-" + requireId(id);
    }

    String labLink(String id) {
        return prefix + "l" + requireId(id);
    }

    Path labDir(String id) {
        return dir.resolve("lab-" + requireId(id));
    }

    Path switchRecord(String id) {
        return labDir(id).resolve("switch.json");
    }

    /** The VDE switch's socket directory (QEMU's {@code -netdev vde,sock=}). */
    Path switchSockets(String id) {
        return labDir(id).resolve("sw");
    }

    Path switchControl(String id) {
        return switchSockets(id).resolve("ctl");
    }

    Path switchPid(String id) {
        return labDir(id).resolve("switch.pid");
    }

    Path dnsmasqPid(String id) {
        return labDir(id).resolve("dnsmasq.pid");
    }

    Path leases(String id) {
        return labDir(id).resolve("dnsmasq.leases");
    }

    Path dnsmasqLog(String id) {
        return labDir(id).resolve("dnsmasq.log");
    }

    Path rules(Path namespaceDir) {
        return namespaceDir.resolve("rules.nft");
    }

    Path users(String id) {
        return labDir(id).resolve("users");
    }

    Path retiredMarker(String id) {
        return labDir(id).resolve("retired");
    }

    /** The switch ids that have a directory. */
    List<String> switchIds() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("lab-"))
                    .map(n -> n.substring(4)).filter(MachineSpec.NetworkAttachment::isSwitchId).sorted().toList();
        } catch (IOException e) {
            throw new VmmException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Whether a namespace name is one of this installation's. */
    boolean isOurNamespace(String name) {
        return name.equals(natNamespace()) || (name.startsWith(prefix + "-lab-")
                && MachineSpec.NetworkAttachment.isSwitchId(name.substring((prefix + "-lab-").length())));
    }

    // ---- transfer links: /30 number n is base+4n .. base+4n+3, host end +1, namespace end +2

    int transferLinks() {
        return (int) Math.min(Integer.MAX_VALUE, transfer.size() / 4);
    }

    Ipv4 hostEnd(int n) {
        return transfer.network().plus(4L * n + 1);
    }

    Ipv4 namespaceEnd(int n) {
        return transfer.network().plus(4L * n + 2);
    }

    private static String requireId(String id) {
        if (!MachineSpec.NetworkAttachment.isSwitchId(id)) {
            throw new IllegalArgumentException("not a switch id: " + id);
        }
        return id;
    }
}
