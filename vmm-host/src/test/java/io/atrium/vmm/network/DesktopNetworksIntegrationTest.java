package io.atrium.vmm.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.api.LabSegment;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.api.MachineSpec.BootMode;
import io.atrium.vmm.api.MachineSpec.DiskPolicy;
import io.atrium.vmm.api.MachineSpec.ImageRef;
import io.atrium.vmm.api.MachineSpec.NetworkAttachment;
import io.atrium.vmm.host.LocalMachineHost;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.testing.GuestConsole;
import io.atrium.vmm.testing.NetworkTestbed;
import io.atrium.vmm.testing.QemuFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Desktop networks with real QEMU console guests, in namespaces this test makes and removes: lab desktops reach each
 * other and nothing else, a desktop of another lab on the same subnet reaches neither; a NAT desktop fetches a page
 * from the test's "outside world" but reaches no host service on any host address (loopback included); a lab with
 * NAT does the same through its router; an isolated desktop reaches nothing. Afterwards nothing is left: namespaces,
 * links, the nftables table, daemons.
 */
class DesktopNetworksIntegrationTest {

    @RegisterExtension
    static final QemuFixture qemu = new QemuFixture();

    private static final Duration LEASE = Duration.ofSeconds(90);
    private static final Duration COMMAND = Duration.ofSeconds(60);

    private static NetworkTestbed bed;
    private static HostNetworks networks;
    private static LocalMachineHost host;

    @BeforeAll
    static void setUp() {
        bed = NetworkTestbed.start();
        networks = new HostNetworks(qemu.host().properties(), bed.properties());
        host = new LocalMachineHost(qemu.host(), networks);
    }

    @AfterAll
    static void tearDown() {
        try {
            if (host != null) {
                host.release(); // without keep-vms-on-exit: machines stopped, every desktop network removed
            }
            if (networks != null) {
                bed.assertNoLeftovers(networks.stateDir());
            }
        } finally {
            bed.close();
        }
    }

    @Test
    void labDesktopsReachEachOtherAndADesktopOfAnotherLabOnTheSameSubnetReachesNeither() {
        LabSegment a = new LabSegment("10.77.0.0/24", "10.77.0.1", "10.77.0.100", "10.77.0.149", false);
        LabSegment b = new LabSegment("10.77.0.0/24", "10.77.0.1", "10.77.0.150", "10.77.0.199", false);
        GuestConsole a1 = start("lab-a1", NetworkAttachment.lab("laba", a), BootMode.INSTANT_CLONE_PREFERRED);
        GuestConsole a2 = start("lab-a2", NetworkAttachment.lab("laba", a), BootMode.COLD_BOOT);
        GuestConsole b1 = start("lab-b1", NetworkAttachment.lab("labb", b), BootMode.INSTANT_CLONE_PREFERRED);
        String ip1 = a1.awaitLease(LEASE);
        String ip2 = a2.awaitLease(LEASE);
        String ipB = b1.awaitLease(LEASE);
        assertThat(List.of(ip1, ip2)).allMatch(ip -> inRange(ip, 100, 149)).doesNotHaveDuplicates();
        assertThat(inRange(ipB, 150, 199)).isTrue();

        // the same switch: ping and TCP; another switch on the same subnet: neither
        a2.run("(nc -l -p 7000 > /tmp/got &); (nc -l -p 7001 > /tmp/got2 &)", COMMAND);
        GuestConsole.Result same = a1.run("ping -c 2 -W 3 " + ip2 + " && echo hello-over-the-lab | nc -w 5 " + ip2
                + " 7000", COMMAND);
        assertThat(same.output()).contains("2 packets received");
        assertThat(same.succeeded()).isTrue();
        GuestConsole.Result other = b1.run("ping -c 2 -W 2 " + ip2 + "; echo from-another-lab | nc -w 3 " + ip2
                + " 7001; echo nc-exit-$?", COMMAND);
        assertThat(other.output()).contains("0 packets received").doesNotContain("nc-exit-0").contains("nc-exit-");
        assertThat(a2.run("cat /tmp/got /tmp/got2", COMMAND).output()).contains("hello-over-the-lab")
                .doesNotContain("from-another-lab");

        // a lab without NAT has no way out and no way to the host
        assertThat(a1.run("ip route", COMMAND).output()).doesNotContain("default");
        assertUnreachable(a1, List.of(NetworkTestbed.OUTSIDE, "10.77.0.1"));
        assertThat(bed.hostServiceHits()).isZero();
    }

    @Test
    void aNatDesktopReachesTheOutsideWorldButNoHostAddressAndNoHostService() {
        GuestConsole n1 = start("nat-n1", NetworkAttachment.NAT, BootMode.INSTANT_CLONE_PREFERRED);
        assertThat(n1.awaitLease(LEASE)).isEqualTo("10.0.2.15");

        assertThat(n1.run("timeout 20 wget -O /tmp/page http://" + NetworkTestbed.OUTSIDE + "/ && cat /tmp/page",
                COMMAND).output()).contains(bed.page());
        assertThat(n1.run("nslookup " + NetworkTestbed.OUTSIDE_NAME, COMMAND).output())
                .contains(NetworkTestbed.OUTSIDE);

        List<String> hostAddresses = new ArrayList<>(NetworkTestbed.hostAddresses());
        hostAddresses.add("10.0.2.2"); // user-mode networking's alias of "the host's" loopback
        assertUnreachable(n1, hostAddresses);
        assertThat(bed.hostServiceHits()).isZero();
    }

    @Test
    void aLabWithNatReachesTheOutsideThroughItsRouterButNoHostAddress() {
        LabSegment c = new LabSegment("10.78.0.0/24", "10.78.0.1", "10.78.0.10", "10.78.0.20", true);
        GuestConsole c1 = start("lab-c1", NetworkAttachment.lab("labc", c), BootMode.INSTANT_CLONE_PREFERRED);
        String ip = c1.awaitLease(LEASE);
        assertThat(inRange(ip, 10, 20)).isTrue();
        assertThat(c1.run("ip route", COMMAND).output()).contains("default via 10.78.0.1");

        assertThat(c1.run("timeout 20 wget -O /tmp/page http://" + NetworkTestbed.OUTSIDE + "/ && cat /tmp/page",
                COMMAND).output()).contains(bed.page());
        // the lab's dnsmasq forwards to the configured DNS server, through the same guard
        assertThat(c1.run("nslookup " + NetworkTestbed.OUTSIDE_NAME + " 10.78.0.1", COMMAND).output())
                .contains(NetworkTestbed.OUTSIDE);

        List<String> targets = new ArrayList<>(NetworkTestbed.hostAddresses());
        targets.add("10.78.0.1"); // the router itself serves DHCP, DNS and ping only
        assertUnreachable(c1, targets);
        assertThat(bed.hostServiceHits()).isZero();
    }

    @Test
    void anIsolatedDesktopReachesNothing() {
        GuestConsole i1 = start("iso-i1", NetworkAttachment.ISOLATED, BootMode.INSTANT_CLONE_PREFERRED);
        assertThat(i1.awaitLease(LEASE)).isEqualTo("10.0.2.15");
        List<String> targets = new ArrayList<>(NetworkTestbed.hostAddresses());
        targets.add("10.0.2.2");
        targets.add(NetworkTestbed.OUTSIDE);
        assertUnreachable(i1, targets);
        assertThat(bed.hostServiceHits()).isZero();
    }

    @Test
    void aSwitchNoLongerWantedGoesWithItsLastMachine() {
        LabSegment d = new LabSegment("10.79.0.0/28", "10.79.0.14", "10.79.0.1", "10.79.0.10", false);
        GuestConsole d1 = start("lab-d1", NetworkAttachment.lab("labd", d), BootMode.INSTANT_CLONE_PREFERRED);
        d1.awaitLease(LEASE);
        String ns = bed.prefix() + "-lab-labd";
        assertThat(namespaceExists(ns)).isTrue();

        host.retainNetworks(java.util.Set.of("laba", "labb", "labc"));
        // still in use: the switch stays until its machine stops
        assertThat(namespaceExists(ns)).isTrue();
        assertThat(networks.switches()).contains("labd");
        host.stop("lab-d1");
        assertThat(namespaceExists(ns)).isFalse();
        assertThat(networks.switches()).doesNotContain("labd");
        assertThat(Files.exists(networks.stateDir().resolve("lab-labd"))).isFalse();
    }

    @Test
    void instantClonesOfOneTemplateGetLeasesOfTheirOwnAndKeepThemAcrossARefresh() throws Exception {
        LabSegment e = new LabSegment("10.80.0.0/24", "10.80.0.1", "10.80.0.50", "10.80.0.60", false);
        String mac1 = VmSpec.randomMac();
        String mac2 = VmSpec.randomMac();
        GuestConsole e1 = start("lab-e1", mac1, NetworkAttachment.lab("labe", e), BootMode.INSTANT_CLONE_PREFERRED);
        GuestConsole e2 = start("lab-e2", mac2, NetworkAttachment.lab("labe", e), BootMode.INSTANT_CLONE_PREFERRED);
        String ip1 = e1.awaitLease(LEASE);
        String ip2 = e2.awaitLease(LEASE);
        assertThat(ip1).isNotEqualTo(ip2);
        // the switch's DHCP server only ever saw the clones' own MACs: the template's golden VM never asked
        Path leases = networks.stateDir().resolve("lab-labe/dnsmasq.leases");
        assertThat(Files.readAllLines(leases)).hasSize(2).anyMatch(l -> l.contains(mac1) && l.contains(ip1))
                .anyMatch(l -> l.contains(mac2) && l.contains(ip2));

        // a refresh (a new clone of the same desktop, same MAC) gets the same address again
        GuestConsole again = start("lab-e1", mac1, NetworkAttachment.lab("labe", e), BootMode.INSTANT_CLONE_PREFERRED);
        assertThat(again.awaitLease(LEASE)).isEqualTo(ip1);
        assertThat(again.run("ping -c 1 -W 3 " + ip2, COMMAND).output()).contains("1 packets received");
    }

    // ------------------------------------------------------------------ helpers

    private static GuestConsole start(String name, NetworkAttachment network, BootMode boot) {
        return start(name, VmSpec.randomMac(), network, boot);
    }

    private static GuestConsole start(String name, String mac, NetworkAttachment network, BootMode boot) {
        host.start(new MachineSpec(name, mac, ImageRef.of("console"), 1, 256, DiskPolicy.FRESH, boot,
                network, Optional.empty()));
        QemuVm vm = qemu.host().launcher().vms().stream().filter(v -> v.name().equals(name) && v.isRunning())
                .findFirst().orElseThrow();
        qemu.track(vm);
        vm.awaitSerialOutput("shell ready on /dev/tty1 as atrium@" + name, Duration.ofSeconds(90));
        return new GuestConsole(vm);
    }

    /** Every target (on the host service's port) is tried at once; none may answer. */
    private static void assertUnreachable(GuestConsole guest, List<String> targets) {
        String cmd = "for h in " + String.join(" ", targets) + "; do (timeout 5 wget -O /dev/null http://$h:"
                + bed.hostServicePort() + "/ && echo REACHED-$h) & done; wait; echo TRIED-" + targets.size();
        GuestConsole.Result r = guest.run(cmd, COMMAND);
        assertThat(r.output()).contains("TRIED-" + targets.size()).doesNotContain("REACHED-");
    }

    private static boolean inRange(String ip, int first, int last) {
        int host = Integer.parseInt(ip.substring(ip.lastIndexOf('.') + 1));
        return host >= first && host <= last;
    }

    private static boolean namespaceExists(String name) {
        return Files.exists(Path.of("/run/netns", name));
    }
}
