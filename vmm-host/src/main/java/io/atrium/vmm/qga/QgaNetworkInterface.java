package io.atrium.vmm.qga;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One network interface of the guest, as {@code guest-network-get-interfaces} reports it
 * (validated: see {@link QgaClient#networkInterfaces()}).
 *
 * @param name the interface name, e.g. {@code enp0s2} or {@code lo}
 * @param macAddress the hardware address, lower case {@code xx:xx:xx:xx:xx:xx}, if the guest
 *     reported a valid one
 * @param addresses its IPv4 and IPv6 addresses
 */
public record QgaNetworkInterface(String name, Optional<String> macAddress, List<QgaIpAddress> addresses) {

    public QgaNetworkInterface {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(macAddress, "macAddress");
        addresses = List.copyOf(addresses);
    }
}
