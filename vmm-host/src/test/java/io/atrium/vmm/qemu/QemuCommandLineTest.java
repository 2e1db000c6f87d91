package io.atrium.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import io.atrium.vmm.api.Firmware;
import org.junit.jupiter.api.Test;

/**
 * Golden tests of the QEMU command line: {@code src/test/resources/golden/<case>.args}, one
 * argument per line. After an intended change, regenerate with
 * {@code ./mvnw -o -pl vmm-host test -Dtest=QemuCommandLineTest -Datrium.golden.regenerate=true}
 * and review the diff.
 */
class QemuCommandLineTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final Path RUN = Path.of("/var/lib/atrium/run/desk-1");
    private static final Path IMAGE = Path.of("/var/lib/atrium/images/0123abcd");

    private static VmSpec.Builder console() {
        return VmSpec.builder()
                .name("desk-1")
                .kernel(IMAGE.resolve("vmlinuz"))
                .initrd(IMAGE.resolve("initrd.img"))
                .append("console=ttyS0,115200 console=tty0 quiet loglevel=3 atrium.hostname=desk-1")
                .disk(RUN.resolve("disk.qcow2"))
                .runDir(RUN)
                .macAddress("52:54:00:12:34:56")
                .generationId(GENERATION);
    }

    private static final String GENERATION = "0b1d5e5a-1c2b-4d6e-8f00-112233445566";
    private static final Path VERSION = Path.of("/var/lib/atrium/library/versions/debian-v1");

    /** A library version that boots from its disk. */
    private static VmSpec.Builder diskBoot() {
        return VmSpec.builder().name("desk-1").accel(ResolvedAccelerator.tcg("test")).memoryMb(512)
                .disk(RUN.resolve("disk.qcow2")).runDir(RUN).macAddress("52:54:00:12:34:56").guestAgent(true)
                .generationId(GENERATION);
    }

    @Test
    void tcgBiosDiskBoot() throws IOException {
        assertGolden("tcg-bios-disk", QemuCommandLine.build(diskBoot().build()));
    }

    @Test
    void tcgUefiDiskBootWithInstallMediumAndSeed() throws IOException {
        assertGolden("tcg-uefi-disk-cdroms", QemuCommandLine.build(diskBoot().firmware(Firmware.UEFI)
                .firmwareCode(Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd")).efiVars(RUN.resolve("efivars.fd"))
                .cdroms(List.of(VERSION.resolve("install.iso"), RUN.resolve("seed.iso"))).build()));
    }

    @Test
    void tcgUefiInstantCloneRestore() throws IOException {
        assertGolden("tcg-uefi-instant-clone", QemuCommandLine.build(diskBoot().firmware(Firmware.UEFI)
                .firmwareCode(Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd")).efiVars(RUN.resolve("efivars.fd"))
                .incoming(true).build()));
    }

    @Test
    void everyMachineHasAVmgenidDeviceWithItsGenerationId() {
        List<String> args = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).build());
        assertThat(args).contains("vmgenid,guid=" + GENERATION);
        VmSpec a = console().accel(ResolvedAccelerator.tcg("t")).generationId(null).build();
        VmSpec b = console().accel(ResolvedAccelerator.tcg("t")).generationId(null).build();
        assertThat(a.generationId()).isNotEqualTo(b.generationId());
    }

    @Test
    void cdromsAreReadOnlyAndUefiCodeIsReadOnly() {
        List<String> args = QemuCommandLine.build(diskBoot().firmware(Firmware.UEFI)
                .firmwareCode(Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd")).efiVars(RUN.resolve("efivars.fd"))
                .cdroms(List.of(VERSION.resolve("install.iso"))).build());
        assertThat(args).filteredOn(a -> a.contains("media=cdrom")).allMatch(a -> a.contains("readonly=on"));
        assertThat(args).filteredOn(a -> a.contains("OVMF_CODE")).allMatch(a -> a.contains("readonly=on"));
        assertThat(args).filteredOn(a -> a.contains("efivars.fd")).noneMatch(a -> a.contains("readonly"));
        assertThat(args).doesNotContain("-kernel", "-initrd", "-append");
        assertThat(args).contains("virtio-blk-pci,drive=disk0,bootindex=1", "ide-cd,drive=cd0,bus=ide.0,bootindex=2");
    }

    @Test
    void tcgConsole() throws IOException {
        assertGolden("tcg-console", QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("test")).build()));
    }

    @Test
    void kvmConsole() throws IOException {
        assertGolden("kvm-console", QemuCommandLine.build(console().accel(ResolvedAccelerator.kvm("test"))
                .vcpus(2).memoryMb(1024).build()));
    }

    @Test
    void tcgWithoutDiskWithExtraDeviceAndCustomBinary() throws IOException {
        assertGolden("tcg-nodisk-extra", QemuCommandLine.build("/opt/qemu/bin/qemu-system-x86_64",
                console().accel(ResolvedAccelerator.tcg("test")).disk(null)
                        .extraArgs(List.of("-device", "virtio-rng-pci")).build()));
    }

    @Test
    void tcgInstantCloneRestore() throws IOException {
        assertGolden("tcg-instant-clone", QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("test"))
                .append("console=ttyS0,115200 console=tty0 quiet loglevel=3 atrium.hostname=atrium-golden")
                .incoming(true).build()));
    }

    private static VmSpec.Builder xDesktop() {
        return console().accel(ResolvedAccelerator.tcg("test"))
                .append("root=/dev/vda rw rootfstype=ext4 init=/sbin/atrium-init console=ttyS0,115200 console=tty0"
                        + " quiet loglevel=3 atrium.hostname=desk-1")
                .memoryMb(256).accelOptions("tb-size=64").guestAgent(true).vdagent(true);
    }

    @Test
    void tcgXDesktop() throws IOException {
        assertGolden("tcg-x-desktop", QemuCommandLine.build(xDesktop().build()));
    }

    @Test
    void tcgXDesktopInstantCloneRestore() throws IOException {
        assertGolden("tcg-x-desktop-instant-clone", QemuCommandLine.build(xDesktop()
                .append("root=/dev/vda rw rootfstype=ext4 init=/sbin/atrium-init console=ttyS0,115200 console=tty0"
                        + " quiet loglevel=3 atrium.hostname=atrium-golden")
                .incoming(true).build()));
    }

    @Test
    void tcgNatDesktop() throws IOException {
        VmSpec spec = console().accel(ResolvedAccelerator.tcg("test")).network(new NetBackend.Nat("atr-nat")).build();
        assertGolden("tcg-nat", QemuCommandLine.build(spec));
        assertThat(QemuCommandLine.spawnPrefix("ip", spec)).containsExactly("ip", "netns", "exec", "atr-nat");
    }

    @Test
    void tcgLabDesktopInstantClone() throws IOException {
        VmSpec spec = console().accel(ResolvedAccelerator.tcg("test"))
                .network(new NetBackend.Switch(Path.of("/var/lib/atrium/net/lab-a1b2c3d4/sw"))).incoming(true).build();
        assertGolden("tcg-lab-instant-clone", QemuCommandLine.build(spec));
        assertThat(QemuCommandLine.spawnPrefix("ip", spec)).isEmpty();
    }

    @Test
    void theNetworkBackendChangesOnlyTheNetdev() {
        List<String> isolated = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).build());
        for (NetBackend backend : List.of(new NetBackend.Unplugged(), new NetBackend.Nat("atr-nat"),
                new NetBackend.Switch(Path.of("/run/sw")))) {
            List<String> other = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).network(backend)
                    .build());
            int at = isolated.indexOf("user,id=net0,restrict=on");
            assertThat(other).hasSameSizeAs(isolated);
            assertThat(other.get(at)).isEqualTo(backend.netdev("net0")).startsWith(switch (backend) {
                case NetBackend.Unplugged u -> "hubport,id=net0,hubid=0";
                case NetBackend.Nat n -> "user,id=net0,restrict=off,ipv6=off";
                case NetBackend.Switch w -> "vde,id=net0,sock=/run/sw";
                case NetBackend.Restricted r -> "user,id=net0,restrict=on";
            });
            List<String> rest = new ArrayList<>(other);
            rest.set(at, isolated.get(at));
            assertThat(rest).isEqualTo(isolated);
            // never a host bridge, a tap QEMU opens, or a multicast socket
            assertThat(other).noneMatch(a -> a.startsWith("bridge") || a.startsWith("tap") || a.contains("mcast"));
        }
    }

    @Test
    void onlyNatDesktopsAreSpawnedInANamespace() {
        assertThat(QemuCommandLine.spawnPrefix("ip", console().accel(ResolvedAccelerator.tcg("t")).build())).isEmpty();
        assertThat(QemuCommandLine.spawnPrefix("/sbin/ip", console().accel(ResolvedAccelerator.tcg("t"))
                .network(new NetBackend.Unplugged()).build())).isEmpty();
    }

    @Test
    void theGuestAgentChannelIsOnePortOnTheOneVirtioSerialController() {
        List<String> with = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).guestAgent(true).build());
        List<String> without = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).build());

        assertThat(with).filteredOn(a -> a.startsWith("virtio-serial-pci")).containsExactly("virtio-serial-pci,id="
                + QemuCommandLine.VIRTIO_SERIAL);
        assertThat(with).filteredOn(a -> a.startsWith("virtserialport")).containsExactly(
                "virtserialport,bus=virtio-serial0.0,chardev=qga,name=org.qemu.guest_agent.0");
        assertThat(with).contains("socket,id=qga,path=" + RUN.resolve("qga.sock") + ",server=on,wait=off");
        assertThat(with.get(with.indexOf("virtio-serial-pci,id=virtio-serial0") - 1)).isEqualTo("-device");
        // nothing else changes, and without the flag there is no controller
        List<String> rest = new ArrayList<>(with);
        int at = rest.indexOf("virtio-serial-pci,id=virtio-serial0") - 1;
        rest.subList(at, at + 6).clear();
        assertThat(rest).isEqualTo(without);
        assertThat(without).noneMatch(a -> a.contains("virtio-serial") || a.contains("virtserialport")
                || a.contains("qga"));
    }

    @Test
    void theVdagentPortIsHotPluggedSoOnlyItsControllerIsOnTheCommandLine() {
        List<String> both = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).guestAgent(true)
                .vdagent(true).build());
        List<String> agentOnly = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).guestAgent(true)
                .build());
        assertThat(both).isEqualTo(agentOnly).noneMatch(a -> a.contains("vdagent") || a.contains("com.redhat.spice"));
        List<String> vdagentOnly = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).vdagent(true)
                .build());
        assertThat(vdagentOnly).filteredOn(a -> a.startsWith("virtio-serial-pci")).containsExactly(
                "virtio-serial-pci,id=" + QemuCommandLine.VIRTIO_SERIAL);
        assertThat(vdagentOnly).noneMatch(a -> a.startsWith("virtserialport"));
    }

    @Test
    void theDisplayIsVirtioVgaWithATabletAndNoKeymap() {
        List<String> args = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).build());
        assertThat(args).containsSubsequence("-device", "virtio-vga").containsSubsequence("-device", "virtio-tablet-pci")
                .doesNotContain("-vga", "-k", "std");
    }

    @Test
    void incomingOnlyAddsIncomingDefer() {
        List<String> booted = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).build());
        List<String> restored = QemuCommandLine.build(console().accel(ResolvedAccelerator.tcg("t")).incoming(true).build());
        assertThat(restored.subList(0, booted.size())).isEqualTo(booted);
        assertThat(restored.subList(booted.size(), restored.size())).containsExactly("-incoming", "defer");
    }

    @Test
    void invariantsHoldForEveryCase() {
        for (ResolvedAccelerator accel : List.of(ResolvedAccelerator.tcg("t"), ResolvedAccelerator.kvm("t"))) {
            List<String> args = QemuCommandLine.build(console().accel(accel).build());
            assertThat(args.get(args.indexOf("-vnc") + 1)).isEqualTo("unix:" + RUN.resolve("vnc/vnc.sock"));
            assertThat(args).filteredOn(a -> a.equals("-vnc")).hasSize(1);
            assertThat(args).contains("-nodefaults", "-no-user-config")
                    .contains("user,id=net0,restrict=on")
                    .contains("socket,id=agent,path=" + RUN.resolve("agent.sock") + ",server=on,wait=off")
                    .doesNotContain("virtio-serial-pci,id=virtio-serial0")
                    .contains("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny")
                    .doesNotContain("-runas", "-daemonize");
            assertThat(args.contains("host")).isEqualTo(accel.isKvm());
        }
    }

    static void assertGolden(String name, List<String> actual) throws IOException {
        Path file = GOLDEN.resolve(name + ".args");
        if (Boolean.getBoolean("atrium.golden.regenerate")) {
            Files.createDirectories(GOLDEN);
            Files.write(file, actual, StandardCharsets.UTF_8);
            System.out.println("regenerated " + file.toAbsolutePath());
            return;
        }
        if (!Files.exists(file)) {
            fail("golden file " + file.toAbsolutePath() + " is missing; run with -Datrium.golden.regenerate=true");
        }
        List<String> expected = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (!expected.equals(actual)) {
            fail("QEMU command line differs from " + file + " (- golden, + actual; regenerate with "
                    + "-Datrium.golden.regenerate=true if intended):\n" + diff(expected, actual));
        }
    }

    /** A minimal line diff (longest common subsequence). */
    static String diff(List<String> expected, List<String> actual) {
        int n = expected.size();
        int m = actual.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = expected.get(i).equals(actual.get(j)) ? lcs[i + 1][j + 1] + 1
                        : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<String> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && expected.get(i).equals(actual.get(j))) {
                out.add("  " + expected.get(i++));
                j++;
            } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                out.add("- " + expected.get(i++));
            } else {
                out.add("+ " + actual.get(j++));
            }
        }
        return String.join("\n", out);
    }

    @Test
    void diffShowsChangedLines() {
        assertThat(diff(List.of("a", "b", "c"), List.of("a", "x", "c"))).isEqualTo("  a\n- b\n+ x\n  c");
    }
}
