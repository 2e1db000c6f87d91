package io.atrium.vmm.network;

import io.atrium.vmm.api.Ipv4;
import io.atrium.vmm.api.Ipv4Subnet;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Desktop network settings of a host ({@code atrium.vmm.network.*}).
 *
 * @param prefix         the first characters of every host object Atrium makes for desktop networks: network namespaces
 *                       ({@code <prefix>-nat}, {@code <prefix>-lab-<switch>}), host links ({@code <prefix>nat},
 *                       {@code <prefix>l<switch>}) and the nftables table {@code inet <prefix>_guard}. 1 to 6 of
 *                       {@code [a-z0-9]}, starting with a letter; unique per Atrium installation on a host (tests use
 *                       their own). Default {@code atr}
 * @param uplink         where NAT traffic leaves the host: {@code auto} (the interface of the IPv4 default route) or
 *                       an interface name. In tests: the host end of a link into the test's "outside" namespace
 * @param transferSubnet the addresses of the point-to-point links between the host and Atrium's namespaces, one /30
 *                       per link (the first is the NAT namespace's); host addresses, so a lab may not overlap them.
 *                       Default {@code 169.254.240.0/24} (link-local: never routed beyond the host)
 * @param dnsServers     the DNS servers NAT desktops (through user-mode networking's DNS proxy) and NAT labs (through
 *                       the lab's dnsmasq) use; empty: the host's {@code /etc/resolv.conf} name servers except
 *                       loopback ones (a resolver on the host is a host service, which desktops must not reach)
 * @param commandTimeout time limit of one {@code ip}, {@code nft}, {@code sysctl} or daemon start
 */
@ConfigurationProperties("atrium.vmm.network")
public record NetworkProperties(
        @DefaultValue(NetworkProperties.DEFAULT_PREFIX) String prefix,
        @DefaultValue(NetworkProperties.AUTO) String uplink,
        @DefaultValue(NetworkProperties.DEFAULT_TRANSFER) String transferSubnet,
        @DefaultValue List<String> dnsServers,
        @DefaultValue("10s") Duration commandTimeout) {

    public static final String DEFAULT_PREFIX = "atr";
    public static final String AUTO = "auto";
    public static final String DEFAULT_TRANSFER = "169.254.240.0/24";
    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9]{0,5}");
    private static final Pattern INTERFACE = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

    public NetworkProperties {
        prefix = prefix == null ? DEFAULT_PREFIX : prefix;
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("atrium.vmm.network.prefix must be 1 to 6 of [a-z0-9] starting with a"
                    + " letter, got '" + prefix + "'");
        }
        uplink = uplink == null || uplink.isBlank() ? AUTO : uplink.strip();
        if (!uplink.equals(AUTO) && !INTERFACE.matcher(uplink).matches()) {
            throw new IllegalArgumentException("atrium.vmm.network.uplink must be 'auto' or an interface name, got '"
                    + uplink + "'");
        }
        transferSubnet = transferSubnet == null ? DEFAULT_TRANSFER : transferSubnet;
        Ipv4Subnet transfer = Ipv4Subnet.parse(transferSubnet);
        if (transfer.prefix() > 29) {
            throw new IllegalArgumentException("atrium.vmm.network.transfer-subnet must hold at least two /30 links, got "
                    + transferSubnet);
        }
        dnsServers = List.copyOf(dnsServers == null ? List.of() : dnsServers);
        for (String server : dnsServers) {
            if (!Ipv4.isValid(server)) {
                throw new IllegalArgumentException("atrium.vmm.network.dns-servers: not an IPv4 address: " + server);
            }
        }
        commandTimeout = commandTimeout == null ? Duration.ofSeconds(10) : commandTimeout;
        if (!commandTimeout.isPositive()) {
            throw new IllegalArgumentException("atrium.vmm.network.command-timeout must be positive");
        }
    }

    /** The defaults (prefix {@code atr}, uplink {@code auto}). */
    public static NetworkProperties defaults() {
        return new NetworkProperties(DEFAULT_PREFIX, AUTO, DEFAULT_TRANSFER, List.of(), Duration.ofSeconds(10));
    }

    public NetworkProperties withPrefix(String value) {
        return new NetworkProperties(value, uplink, transferSubnet, dnsServers, commandTimeout);
    }

    public NetworkProperties withUplink(String value) {
        return new NetworkProperties(prefix, value, transferSubnet, dnsServers, commandTimeout);
    }

    public NetworkProperties withDnsServers(List<String> value) {
        return new NetworkProperties(prefix, uplink, transferSubnet, value, commandTimeout);
    }

    /** {@link #transferSubnet()} parsed. */
    public Ipv4Subnet transfer() {
        return Ipv4Subnet.parse(transferSubnet);
    }
}
