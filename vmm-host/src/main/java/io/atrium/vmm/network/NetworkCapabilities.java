package io.atrium.vmm.network;

import io.atrium.vmm.process.ProcessRunner;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What this process may do for desktop networks, found once at start ({@link #probe()}): NAT and lab networks need
 * network namespaces, veth links and nftables rules, hence {@code CAP_NET_ADMIN} and {@code CAP_SYS_ADMIN} (root),
 * and their tools; lab switches also need {@code /dev/net/tun}. Whatever is missing leaves isolated desktops only,
 * which need nothing.
 *
 * @param nat        whether NAT desktops can be made (the uplink is checked when one is made)
 * @param lab        whether lab switches can be made
 * @param limitation for administrators: what is missing and how to fix it; empty when nothing is
 */
public record NetworkCapabilities(boolean nat, boolean lab, String limitation) {

    /** {@code CAP_NET_ADMIN}: links, addresses, routes, nftables. */
    static final int CAP_NET_ADMIN = 12;
    /** {@code CAP_SYS_ADMIN}: network namespaces ({@code ip netns add}, {@code ip netns exec}). */
    static final int CAP_SYS_ADMIN = 21;
    /** Tool → Debian package, for both NAT and labs. */
    static final Map<String, String> COMMON_TOOLS = Map.of("ip", "iproute2", "nft", "nftables", "sysctl", "procps");
    /** Tool → Debian package, for labs only. */
    static final Map<String, String> LAB_TOOLS = Map.of("vde_switch", "vde2", "dnsmasq", "dnsmasq-base");

    public NetworkCapabilities {
        Objects.requireNonNull(limitation, "limitation");
    }

    /** Everything possible. */
    public static NetworkCapabilities full() {
        return new NetworkCapabilities(true, true, "");
    }

    /** Nothing but isolated desktops, because of {@code why}. */
    public static NetworkCapabilities isolatedOnly(String why) {
        return new NetworkCapabilities(false, false, why);
    }

    /** Probes this process: its effective capabilities ({@code /proc/self/status}), the tools, {@code /dev/net/tun}. */
    public static NetworkCapabilities probe() {
        String status;
        try {
            status = Files.readString(Path.of("/proc/self/status"));
        } catch (IOException e) {
            return isolatedOnly("cannot read /proc/self/status (" + e.getMessage() + "), so NAT and lab networks are off");
        }
        List<String> missing = new ArrayList<>();
        Map<String, String> lab = new LinkedHashMap<>(LAB_TOOLS);
        for (Map.Entry<String, String> tool : COMMON_TOOLS.entrySet()) {
            if (ProcessRunner.which(tool.getKey()).isEmpty()) {
                missing.add(tool.getKey() + " (Debian package " + tool.getValue() + ")");
            }
        }
        List<String> missingLab = new ArrayList<>();
        for (Map.Entry<String, String> tool : lab.entrySet()) {
            if (ProcessRunner.which(tool.getKey()).isEmpty()) {
                missingLab.add(tool.getKey() + " (Debian package " + tool.getValue() + ")");
            }
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            missingLab.add("/dev/net/tun");
        }
        return of(effectiveCapabilities(status), missing, missingLab);
    }

    /** The decision, from the effective capability set and what is missing (for tests). */
    static NetworkCapabilities of(Optional<BigInteger> capEff, List<String> missingCommon, List<String> missingLab) {
        if (capEff.isEmpty() || !capEff.get().testBit(CAP_NET_ADMIN) || !capEff.get().testBit(CAP_SYS_ADMIN)) {
            return isolatedOnly("Atrium runs without CAP_NET_ADMIN and CAP_SYS_ADMIN (not as root), so it cannot make "
                    + "network namespaces and firewall rules: desktops can only be isolated. Run Atrium as root for "
                    + "NAT and lab networks.");
        }
        if (!missingCommon.isEmpty()) {
            return isolatedOnly("NAT and lab networks need " + String.join(", ", missingCommon)
                    + ": desktops can only be isolated until it is installed.");
        }
        if (!missingLab.isEmpty()) {
            return new NetworkCapabilities(true, false, "Lab networks need " + String.join(", ", missingLab) + ".");
        }
        return full();
    }

    /** The {@code CapEff:} mask of a {@code /proc/<pid>/status} text. */
    static Optional<BigInteger> effectiveCapabilities(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("CapEff:")) {
                try {
                    return Optional.of(new BigInteger(line.substring("CapEff:".length()).strip(), 16));
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }
}
