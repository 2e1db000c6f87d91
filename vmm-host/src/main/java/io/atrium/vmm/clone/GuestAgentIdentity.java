package io.atrium.vmm.clone;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.qga.QgaExecResult;
import io.atrium.vmm.qga.QgaNetworkInterface;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity of an instant clone of an image without Atrium's busybox agent, through the QEMU guest agent: the
 * restored guest still has the golden VM's clock, hostname and (in its NIC's migrated state) MAC.
 *
 * <ol>
 *   <li>{@code guest-set-time} with the host's clock (the agent also writes the RTC);</li>
 *   <li>{@code guest-network-get-interfaces}: the NIC is the one interface besides {@code lo} with a MAC;</li>
 *   <li>{@code guest-exec} of {@link #SCRIPT} (POSIX sh): the hostname ({@code hostnamectl} under systemd, else
 *       {@code hostname} and {@code /etc/hostname}), the MAC with {@code ip link set … address} (virtio-net passes
 *       it to QEMU), and a new lease for the new MAC with whatever the image manages its network with
 *       ({@code networkctl}, {@code nmcli}, {@code dhclient}, {@code udhcpc});</li>
 *   <li>read back: {@code guest-get-host-name}, the interface's MAC as the guest kernel reports it, and QEMU's own
 *       view ({@code query-rx-filter} main-mac). Only then is the clone handed out.</li>
 * </ol>
 * Linux only (Windows images need sysprep and their own agent commands; see the vmm-host README).
 */
final class GuestAgentIdentity {
    private static final Logger log = LoggerFactory.getLogger(GuestAgentIdentity.class);

    /** Run as {@code sh -c SCRIPT atrium-identity <hostname> <interface> <mac>}; arguments are checked first. */
    static final String SCRIPT = """
            set -e
            name="$1"; ifc="$2"; mac="$3"
            if [ -d /run/systemd/system ] && command -v hostnamectl >/dev/null 2>&1; then
                hostnamectl set-hostname "$name"
            else
                hostname "$name"
            fi
            echo "$name" > /etc/hostname
            ip link set dev "$ifc" down
            ip link set dev "$ifc" address "$mac"
            ip link set dev "$ifc" up
            if [ -d /run/systemd/system ] && command -v networkctl >/dev/null 2>&1; then
                networkctl reconfigure "$ifc" >/dev/null 2>&1 || true
            elif command -v nmcli >/dev/null 2>&1; then
                nmcli device reapply "$ifc" >/dev/null 2>&1 || true
            elif command -v dhclient >/dev/null 2>&1; then
                (dhclient -r "$ifc"; dhclient -nw "$ifc") >/dev/null 2>&1 || true
            elif command -v udhcpc >/dev/null 2>&1; then
                udhcpc -q -n -t 3 -i "$ifc" >/dev/null 2>&1 || true
            elif command -v busybox >/dev/null 2>&1; then
                busybox udhcpc -q -n -t 3 -i "$ifc" >/dev/null 2>&1 || true
            fi
            """;

    private GuestAgentIdentity() {
    }

    static void apply(QemuVm vm, VmSpec spec, Duration timeout) {
        String name = spec.name();
        String mac = spec.macAddress().toLowerCase(Locale.ROOT);
        try (QgaClient qga = QgaClient.connect(spec.qgaSocket(), timeout)) {
            qga.setTime(Instant.now());
            String nic = nic(qga.networkInterfaces(), vm);
            QgaExecResult r = qga.exec(List.of("/bin/sh", "-c", SCRIPT, "atrium-identity", name, nic, mac), timeout);
            if (!r.succeeded()) {
                throw new VmmException("VM " + vm.name() + ": setting the identity through the guest agent failed ("
                        + r.exitCode() + "): " + cut(r.stderrText()));
            }
            String hostname = qga.hostname();
            String guestMac = qga.networkInterfaces().stream().filter(i -> i.name().equals(nic)).findFirst()
                    .flatMap(QgaNetworkInterface::macAddress).orElse("");
            if (!hostname.equals(name) || !guestMac.equalsIgnoreCase(mac)) {
                throw new VmmException("VM " + vm.name() + ": the guest reports hostname '" + hostname + "' and MAC '"
                        + guestMac + "', expected " + name + " and " + mac);
            }
        }
        String qemuMac = vm.qmp().execute("query-rx-filter").path(0).path("main-mac").asString("");
        if (!qemuMac.equalsIgnoreCase(mac)) {
            throw new VmmException("VM " + vm.name() + ": QEMU reports NIC MAC " + qemuMac + ", expected " + mac);
        }
        log.info("VM {}: identity applied through the guest agent (hostname {}, MAC {}, clock set)", vm.name(), name,
                mac);
    }

    /** The guest's NIC: the one interface other than loopback that has a MAC. */
    private static String nic(List<QgaNetworkInterface> interfaces, QemuVm vm) {
        List<QgaNetworkInterface> nics = interfaces.stream().filter(i -> !i.name().equals("lo"))
                .filter(i -> i.macAddress().filter(m -> !m.equals("00:00:00:00:00:00")).isPresent()).toList();
        if (nics.size() != 1) {
            throw new VmmException("VM " + vm.name() + ": the guest reports " + nics.size() + " network interfaces "
                    + nics.stream().map(QgaNetworkInterface::name).toList() + ", expected one");
        }
        String name = nics.getFirst().name();
        if (!name.matches("[A-Za-z0-9._-]{1,15}")) {
            throw new VmmException("VM " + vm.name() + ": the guest's interface name is not usable");
        }
        return name;
    }

    private static String cut(String text) {
        String t = text == null ? "" : text.strip().replaceAll("[\\p{Cntrl}&&[^\\n]]", "?");
        return t.length() > 300 ? t.substring(0, 300) + "…" : t;
    }
}
