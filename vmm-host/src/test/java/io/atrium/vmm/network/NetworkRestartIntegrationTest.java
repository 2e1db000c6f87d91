package io.atrium.vmm.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.api.HostNetworking;
import io.atrium.vmm.api.LabSegment;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.MachineInfo;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.api.MachineSpec.BootMode;
import io.atrium.vmm.api.MachineSpec.DiskPolicy;
import io.atrium.vmm.api.MachineSpec.ImageRef;
import io.atrium.vmm.api.MachineSpec.NetworkAttachment;
import io.atrium.vmm.api.MachineSpec.NetworkMode;
import io.atrium.vmm.host.LocalMachineHost;
import io.atrium.vmm.host.VmmHost;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.qemu.AcceleratorProbe;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.testing.GuestConsole;
import io.atrium.vmm.testing.NetworkTestbed;
import io.atrium.vmm.testing.QemuFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Desktop networks across a restart that kept the VMs running: the lab switch, its daemons and the NAT namespace are
 * re-adopted, not made again (same processes, same namespace), a daemon that died meanwhile is started again, and
 * the desktops keep their network. Also: a host without the privileges offers isolated desktops only and makes
 * nothing. Afterwards nothing is left.
 */
class NetworkRestartIntegrationTest {

    private static final Duration LEASE = Duration.ofSeconds(90);
    private static final LabSegment LAB = new LabSegment("10.81.0.0/24", "10.81.0.1", "10.81.0.10", "10.81.0.20", true);

    private NetworkTestbed bed;
    private Path dataDir;
    private VmmHost vmm;
    private HostNetworks networks;
    private LocalMachineHost host;

    @BeforeEach
    void setUp() throws IOException {
        bed = NetworkTestbed.start();
        dataDir = Files.createTempDirectory("atrium-netrestart-");
    }

    @AfterEach
    void tearDown() {
        try {
            if (host != null) {
                for (MachineInfo m : host.list()) {
                    host.stop(m.name());
                }
            }
            if (vmm != null) {
                vmm.launcher().close();
            }
            if (networks != null) {
                networks.removeAll();
                bed.assertNoLeftovers(networks.stateDir());
            }
        } finally {
            bed.close();
            deleteTree(dataDir);
        }
    }

    @Test
    void aRestartThatKeptTheVmsReAdoptsTheirNetworksInsteadOfMakingThemAgain() throws Exception {
        open();
        host.start(spec("keep-lab", NetworkAttachment.lab("keep", LAB)));
        host.start(spec("keep-nat", NetworkAttachment.NAT));
        GuestConsole lab = console("keep-lab");
        String ip = lab.awaitLease(LEASE);
        console("keep-nat").awaitLease(LEASE);
        NetworkLayout layout = new NetworkLayout(networks.stateDir(), bed.prefix(), bed.properties().transfer());
        long vde = pid(layout.switchPid("keep"), layout.switchSockets("keep").toString());
        long dnsmasq = pid(layout.dnsmasqPid("keep"), layout.labDir("keep").toString());
        Object natNamespace = Files.readAttributes(Path.of("/run/netns", layout.natNamespace()),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey();

        // Atrium stops, keeping its VMs; meanwhile the lab's dnsmasq dies
        host.release();
        vmm.launcher().close();
        HostCommands.stop(dnsmasq);

        open();
        List<MachineInfo> adopted = host.adopt(Set.of("keep-lab", "keep-nat"));
        assertThat(adopted).extracting(MachineInfo::name).containsExactlyInAnyOrder("keep-lab", "keep-nat");
        assertThat(pid(layout.switchPid("keep"), layout.switchSockets("keep").toString())).isEqualTo(vde);
        long newDnsmasq = pid(layout.dnsmasqPid("keep"), layout.labDir("keep").toString());
        assertThat(newDnsmasq).isNotEqualTo(dnsmasq);
        assertThat(Files.readAttributes(Path.of("/run/netns", layout.natNamespace()),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey()).isEqualTo(natNamespace);
        assertThat(networks.switches()).containsExactly("keep");

        // both desktops still have their network: the lab's router answers, the outside world is reachable
        GuestConsole labAgain = console("keep-lab");
        assertThat(labAgain.run("ping -c 1 -W 3 10.81.0.1; timeout 20 wget -O /tmp/p http://" + NetworkTestbed.OUTSIDE
                + "/ && cat /tmp/p", Duration.ofSeconds(60)).output()).contains("1 packets received").contains(bed.page());
        assertThat(console("keep-nat").run("timeout 20 wget -O /tmp/p http://" + NetworkTestbed.OUTSIDE
                + "/ && cat /tmp/p", Duration.ofSeconds(60)).output()).contains(bed.page());
        assertThat(ip).startsWith("10.81.0.");

        // the pool goes: its switch goes with its last machine
        host.retainNetworks(Set.of());
        assertThat(networks.switches()).containsExactly("keep");
        host.stop("keep-lab");
        assertThat(networks.switches()).isEmpty();
        assertThat(Files.exists(Path.of("/run/netns", layout.labNamespace("keep")))).isFalse();
    }

    @Test
    void withoutThePrivilegesOnlyIsolatedDesktopsStartAndNothingIsMade() {
        VmmProperties properties = VmmProperties.defaults(dataDir).withAccel(QemuFixture.requestedAccelerator());
        vmm = new VmmHost(properties, new AcceleratorProbe().resolve(properties.accel()),
                new GuestImages(VmmProperties.defaults(QemuFixture.sharedImageDataDir())), new QemuLauncher(properties));
        networks = new HostNetworks(properties, bed.properties(), NetworkCapabilities.isolatedOnly(
                "Atrium runs without CAP_NET_ADMIN and CAP_SYS_ADMIN (test)"));
        host = new LocalMachineHost(vmm, networks);

        HostNetworking said = host.networking();
        assertThat(said.modes()).containsExactly(NetworkMode.ISOLATED);
        assertThat(said.limitation()).contains("CAP_NET_ADMIN");
        assertThat(said.hostSubnets()).contains(io.atrium.vmm.api.Ipv4Subnet.parse("198.51.100.0/24"));
        for (NetworkAttachment refused : List.of(NetworkAttachment.NAT, NetworkAttachment.lab("nopriv", LAB))) {
            assertThatThrownBy(() -> host.start(spec("nopriv-1", refused)))
                    .isInstanceOfSatisfying(MachineException.class, e -> {
                        assertThat(e.kind()).isEqualTo(MachineException.Kind.INVALID_SPEC);
                        assertThat(e.getMessage()).contains("not available on this host").contains("CAP_NET_ADMIN");
                    });
        }
        assertThat(Files.exists(networks.stateDir())).isFalse();
        host.start(spec("nopriv-2", NetworkAttachment.ISOLATED));
        assertThat(host.find("nopriv-2")).isPresent();
    }

    // ------------------------------------------------------------------ helpers

    /** A host on the test's data dir that keeps its VMs when it stops. */
    private void open() {
        VmmProperties properties = VmmProperties.defaults(dataDir).withAccel(QemuFixture.requestedAccelerator())
                .withKeepVmsOnExit(true);
        vmm = new VmmHost(properties, new AcceleratorProbe().resolve(properties.accel()),
                new GuestImages(VmmProperties.defaults(QemuFixture.sharedImageDataDir())), new QemuLauncher(properties));
        networks = new HostNetworks(properties, bed.properties());
        host = new LocalMachineHost(vmm, networks);
    }

    private static MachineSpec spec(String name, NetworkAttachment network) {
        return new MachineSpec(name, VmSpec.randomMac(), ImageRef.of("console"), 1, 256, DiskPolicy.FRESH,
                BootMode.COLD_BOOT, network, Optional.empty()); // no template to make: quicker here
    }

    private GuestConsole console(String name) {
        QemuVm vm = vmm.launcher().vms().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
        vm.awaitSerialOutput("shell ready on /dev/tty1 as atrium@" + name, Duration.ofSeconds(90));
        return new GuestConsole(vm);
    }

    private static long pid(Path pidFile, String marker) {
        OptionalLong pid = HostCommands.livePid(pidFile, marker);
        assertThat(pid).as("a live process in " + pidFile).isPresent();
        return pid.getAsLong();
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
