/**
 * Desktop networks on a host: isolated (QEMU's restricted user-mode networking, nothing else), NAT (QEMU inside a
 * dedicated network namespace whose only link leads to the host, where a guard rejects everything for the host itself
 * and forwards only out of the uplink, masqueraded) and lab switches (a {@code vde_switch} and {@code dnsmasq} per
 * switch in its own namespace, optionally with NAT through the same guard). {@link io.atrium.vmm.network.HostNetworks}
 * makes, checks, re-adopts and removes them; {@link io.atrium.vmm.network.NetworkCapabilities} says what this process
 * may do; the nftables rulesets are pure functions ({@code NftRules}).
 *
 * <p>Depends on the root package, {@code api} (the attachment and segment values), {@code qemu} (the NIC backends it
 * hands out), {@code process} (every host command) and {@code disk} (removing state directories).
 */
package io.atrium.vmm.network;
