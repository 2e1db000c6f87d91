package io.atrium.vmm.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.api.MachineEvent;
import io.atrium.vmm.api.MachineEvent.ExitReason;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.MachineInfo;
import io.atrium.vmm.api.MachineInfo.BootKind;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.api.MachineSpec.BootMode;
import io.atrium.vmm.api.MachineSpec.DiskPolicy;
import io.atrium.vmm.api.MachineSpec.GpuAttachment;
import io.atrium.vmm.api.MachineSpec.ImageRef;
import io.atrium.vmm.api.MachineSpec.NetworkAttachment;
import io.atrium.vmm.api.ShutdownOutcome;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link LocalMachineHost} with real QEMU and the console guest: instant-clone and cold starts, the disk policies,
 * find/list, the events (Started, Ready, Exited UNEXPECTED after a SIGKILL, Exited STOPPED after stop), discard, and
 * adoption across two host instances with keep-vms-on-exit.
 */
class LocalMachineHostIntegrationTest {

    private static final Duration READY = Duration.ofSeconds(90);

    @RegisterExtension
    final MachineHostFixture fixture = new MachineHostFixture();

    private static MachineSpec spec(String name, String mac, DiskPolicy disk, BootMode boot) {
        return new MachineSpec(name, mac, ImageRef.of("console"), 1, 128, disk, boot, NetworkAttachment.ISOLATED,
                Optional.empty());
    }

    private static List<MachineEvent> eventsOf(List<MachineEvent> events, String name) {
        return events.stream().filter(e -> e.name().equals(name)).toList();
    }

    @Test
    void anInstantCloneStartsReadyServesItsConsoleAndReportsAKilledQemu() throws Exception {
        VmmHost vmm = fixture.vmmHost(fixture.newDataDir(), false);
        LocalMachineHost host = fixture.machineHost(vmm);
        List<MachineEvent> events = new CopyOnWriteArrayList<>();
        host.subscribe(events::add);

        MachineInfo info = host.start(spec("ic-1", "52:54:00:0a:00:01", DiskPolicy.FRESH, BootMode.INSTANT_CLONE_PREFERRED));

        assertThat(info.boot()).isEqualTo(BootKind.INSTANT_CLONE);
        assertThat(info.hostId()).isEqualTo("test-host");
        assertThat(info.console().hostId()).isEqualTo("test-host");
        Path socket = vmm.runDir("ic-1").resolve("vnc/vnc.sock");
        assertThat(info.console().address()).isEqualTo("unix:" + socket);
        assertThat(rfbGreeting(socket)).startsWith("RFB 003.");
        assertThat(host.find("ic-1")).contains(info);
        assertThat(host.list()).containsExactly(info);
        // Started, and Ready at once: the identity was confirmed before start returned
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(eventsOf(events, "ic-1"))
                .extracting(e -> e.getClass().getSimpleName()).containsExactly("Started", "Ready"));
        assertThat(((MachineEvent.Started) events.getFirst()).info()).isEqualTo(info);
        MachineHostFixture.vm(vmm, "ic-1").awaitSerialOutput("atrium-agent: identity hostname ic-1 mac 52:54:00:0a:00:01",
                Duration.ofSeconds(5));

        byte[] png = host.screendump("ic-1").orElseThrow();
        assertThat(Arrays.copyOf(png, 8)).isEqualTo(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        try (Stream<Path> files = Files.list(vmm.runDir("ic-1"))) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".png"));
        }

        ProcessHandle.of(info.pid()).orElseThrow().destroyForcibly(); // kill -9
        await().atMost(Duration.ofSeconds(10)).until(() -> eventsOf(events, "ic-1").size() == 3);
        MachineEvent.Exited exited = (MachineEvent.Exited) eventsOf(events, "ic-1").get(2);
        assertThat(exited.reason()).isEqualTo(ExitReason.UNEXPECTED);
        assertThat(exited.detail()).contains(Long.toString(info.pid()));
        assertThat(host.find("ic-1")).isEmpty();
        assertThat(host.list()).isEmpty();
        assertThat(host.screendump("ic-1")).isEmpty();
        assertThatThrownBy(() -> host.reset("ic-1")).isInstanceOfSatisfying(MachineException.class,
                e -> assertThat(e.kind()).isEqualTo(MachineException.Kind.NOT_RUNNING));
    }

    @Test
    void aKeptDiskSurvivesAStopAndComesBackByAColdBootThatReportsReady() {
        VmmHost vmm = fixture.vmmHost(fixture.newDataDir(), false);
        LocalMachineHost host = fixture.machineHost(vmm);
        List<MachineEvent> events = new CopyOnWriteArrayList<>();
        host.subscribe(events::add);
        MachineSpec personal = spec("own-1", "52:54:00:0a:00:02", DiskPolicy.KEEP, BootMode.INSTANT_CLONE_PREFERRED);

        // KEEP without a disk yet: a fresh disk, so an instant clone
        assertThat(host.start(personal).boot()).isEqualTo(BootKind.INSTANT_CLONE);
        QemuVm first = MachineHostFixture.vm(vmm, "own-1");
        first.awaitSerialOutput("shell ready on /dev/tty1 as atrium@own-1", Duration.ofSeconds(20));
        first.typeText("echo keep-me-4711 > /data/kept && sync && echo wrote-kept > /dev/ttyS0\n");
        first.awaitSerialOutput("wrote-kept", Duration.ofSeconds(30));
        Path overlay = io.atrium.vmm.qemu.RunDir.of(vmm.runDir("own-1")).overlay();

        host.stop("own-1");
        assertThat(first.isRunning()).isFalse();
        assertThat(overlay).exists();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(eventsOf(events, "own-1")).last()
                .isInstanceOfSatisfying(MachineEvent.Exited.class, e -> assertThat(e.reason()).isEqualTo(ExitReason.STOPPED)));
        int before = eventsOf(events, "own-1").size();

        // KEEP with its disk: a cold boot on the same overlay; Ready comes later, from the serial log
        MachineInfo again = host.start(personal);
        assertThat(again.boot()).isEqualTo(BootKind.COLD_BOOT);
        await().atMost(READY).untilAsserted(() -> assertThat(eventsOf(events, "own-1").subList(before,
                eventsOf(events, "own-1").size())).extracting(e -> e.getClass().getSimpleName())
                .containsExactly("Started", "Ready"));
        QemuVm second = MachineHostFixture.vm(vmm, "own-1");
        second.awaitSerialOutput("shell ready on /dev/tty1", Duration.ofSeconds(20));
        second.typeText("echo data:$(cat /data/kept) > /dev/ttyS0\n");
        second.awaitSerialOutput("data:keep-me-4711", Duration.ofSeconds(30));

        // graceful shutdown: the console guest powers off on the ACPI button
        assertThat(host.shutdown("own-1", Duration.ofSeconds(30))).isEqualTo(ShutdownOutcome.GRACEFUL);
        assertThat(host.shutdown("own-1", Duration.ofSeconds(30))).isEqualTo(ShutdownOutcome.ALREADY_STOPPED);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(eventsOf(events, "own-1")).last()
                .isInstanceOfSatisfying(MachineEvent.Exited.class, e -> {
                    assertThat(e.reason()).isEqualTo(ExitReason.STOPPED);
                    assertThat(e.exitCode()).isZero();
                }));

        // FRESH discards the kept disk: the file is gone
        host.start(spec("own-1", "52:54:00:0a:00:02", DiskPolicy.FRESH, BootMode.COLD_BOOT));
        QemuVm fresh = MachineHostFixture.vm(vmm, "own-1");
        fresh.awaitSerialOutput("shell ready on /dev/tty1", READY);
        fresh.typeText("[ -e /data/kept ] && echo still-kept > /dev/ttyS0 || echo disk-fresh > /dev/ttyS0\n");
        fresh.awaitSerialOutput("disk-fresh", Duration.ofSeconds(30));

        // discard: stopped (reported as such) and every file gone
        host.discard("own-1");
        assertThat(vmm.runDir("own-1")).doesNotExist();
        assertThat(host.find("own-1")).isEmpty();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(eventsOf(events, "own-1")).last()
                .isInstanceOfSatisfying(MachineEvent.Exited.class, e -> assertThat(e.reason()).isEqualTo(ExitReason.STOPPED)));
        assertThat(eventsOf(events, "own-1")).filteredOn(e -> e instanceof MachineEvent.Exited ex
                && ex.reason() == ExitReason.UNEXPECTED).isEmpty();
    }

    @Test
    void aRestartedHostAdoptsTheMachinesToKeepAndKillsTheOthers() {
        Path dataDir = fixture.newDataDir();
        VmmHost firstVmm = fixture.vmmHost(dataDir, true);
        LocalMachineHost first = fixture.machineHost(firstVmm);
        MachineInfo kept = first.start(spec("keep-1", "52:54:00:0a:00:03", DiskPolicy.FRESH, BootMode.INSTANT_CLONE_PREFERRED));
        MachineInfo dropped = first.start(spec("drop-1", "52:54:00:0a:00:04", DiskPolicy.FRESH, BootMode.INSTANT_CLONE_PREFERRED));
        List<MachineEvent> firstEvents = new CopyOnWriteArrayList<>();
        first.subscribe(firstEvents::add);
        first.release(); // keep-vms-on-exit: detached, still running
        firstVmm.close();
        assertThat(ProcessHandle.of(kept.pid()).map(ProcessHandle::isAlive)).contains(true);
        assertThat(ProcessHandle.of(dropped.pid()).map(ProcessHandle::isAlive)).contains(true);
        assertThatThrownBy(() -> first.start(spec("late", "52:54:00:0a:00:05", DiskPolicy.FRESH, BootMode.COLD_BOOT)))
                .isInstanceOfSatisfying(MachineException.class,
                        e -> assertThat(e.kind()).isEqualTo(MachineException.Kind.UNAVAILABLE));

        VmmHost secondVmm = fixture.vmmHost(dataDir, true);
        LocalMachineHost second = fixture.machineHost(secondVmm);
        List<MachineEvent> events = new CopyOnWriteArrayList<>();
        second.subscribe(events::add);
        List<MachineInfo> adopted = second.adopt(Set.of("keep-1", "never-started"));

        assertThat(adopted).singleElement().satisfies(a -> {
            assertThat(a.name()).isEqualTo("keep-1");
            assertThat(a.pid()).isEqualTo(kept.pid());
            assertThat(a.boot()).isEqualTo(BootKind.ADOPTED);
            assertThat(a.console()).isEqualTo(kept.console());
        });
        assertThat(ProcessHandle.of(dropped.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(second.list()).extracting(MachineInfo::name).containsExactly("keep-1");
        await().atMost(Duration.ofSeconds(5)).until(() -> !eventsOf(events, "keep-1").isEmpty());
        assertThat(eventsOf(events, "keep-1").getFirst()).isInstanceOf(MachineEvent.Started.class);

        ProcessHandle.of(kept.pid()).orElseThrow().destroyForcibly(); // kill -9 of an adopted QEMU (not our child)
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(eventsOf(events, "keep-1")).last()
                .isInstanceOfSatisfying(MachineEvent.Exited.class, e -> {
                    assertThat(e.reason()).isEqualTo(ExitReason.UNEXPECTED);
                    assertThat(e.exitCode()).isEqualTo(-1);
                }));
        assertThat(second.find("keep-1")).isEmpty();
        assertThat(firstEvents).as("a released host sends no exit events")
                .noneMatch(e -> e instanceof MachineEvent.Exited);

        // A client that stops and starts again in the same process (a paused and restarted application context)
        // releases the host and then adopts: the host is open again and finds the machine it detached.
        MachineInfo again = second.start(spec("again-1", "52:54:00:0a:00:06", DiskPolicy.FRESH, BootMode.INSTANT_CLONE_PREFERRED));
        second.release();
        assertThat(ProcessHandle.of(again.pid()).map(ProcessHandle::isAlive)).contains(true);
        assertThat(second.adopt(Set.of("again-1"))).extracting(MachineInfo::name, MachineInfo::pid)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("again-1", again.pid()));
        second.stop("again-1");
        assertThat(ProcessHandle.of(again.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    @Test
    void badSpecsAndCallsAreTypedErrors() throws IOException {
        VmmHost vmm = fixture.vmmHost(fixture.newDataDir(), false);
        LocalMachineHost host = fixture.machineHost(vmm);
        MachineSpec ok = spec("err-1", "52:54:00:0a:00:06", DiskPolicy.FRESH, BootMode.INSTANT_CLONE_PREFERRED);

        assertKind(() -> host.start(new MachineSpec("err-1", ok.mac(), ImageRef.of("windows"), 1, 128, DiskPolicy.FRESH,
                BootMode.COLD_BOOT, NetworkAttachment.ISOLATED, Optional.empty())), MachineException.Kind.INVALID_SPEC);
        assertKind(() -> host.start(new MachineSpec("err-1", ok.mac(), new ImageRef("console", Optional.of("no-such-version")),
                1, 128, DiskPolicy.FRESH, BootMode.COLD_BOOT, NetworkAttachment.ISOLATED, Optional.empty())),
                MachineException.Kind.INVALID_SPEC);
        // a GPU device QEMU cannot open: a cold boot (no instant clone with a device) that QEMU refuses
        MachineSpec badGpu = new MachineSpec("err-1", ok.mac(), ImageRef.of("console"), 1, 128, DiskPolicy.FRESH,
                BootMode.INSTANT_CLONE_PREFERRED, NetworkAttachment.ISOLATED,
                Optional.of(new GpuAttachment("slice-x", List.of("-device", "vfio-pci,host=0000:ff:1f.7"))));
        assertThatThrownBy(() -> host.start(badGpu)).isInstanceOfSatisfying(MachineException.class, e -> {
            assertThat(e.kind()).isEqualTo(MachineException.Kind.FAILED);
            assertThat(e.getMessage()).contains("err-1");
        });
        assertThat(host.find("err-1")).isEmpty();
        // the GPU arguments went onto QEMU's command line of a cold boot, with at least the image's memory
        List<String> argv = Files.readAllLines(vmm.runDir("err-1").resolve("qemu.args"));
        assertThat(argv).contains("vfio-pci,host=0000:ff:1f.7").doesNotContain("-incoming");
        assertThat(argv.get(argv.indexOf("-m") + 1)).isEqualTo("256M");
        assertKind(() -> host.reset("err-1"), MachineException.Kind.NOT_RUNNING);
        assertThat(host.shutdown("err-1", Duration.ofSeconds(1))).isEqualTo(ShutdownOutcome.ALREADY_STOPPED);
        assertThat(host.screendump("err-1")).isEmpty();
        for (String hostile : new String[] {"..", "../run", "a/b", "", "UPPER"}) {
            assertKind(() -> host.discard(hostile), MachineException.Kind.INVALID_SPEC);
            assertKind(() -> host.stop(hostile), MachineException.Kind.INVALID_SPEC);
        }
        assertThat(vmm.properties().runDir()).exists();
    }

    private static void assertKind(Runnable call, MachineException.Kind kind) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(MachineException.class,
                e -> assertThat(e.kind()).isEqualTo(kind));
    }

    private static String rfbGreeting(Path socket) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer hello = ByteBuffer.allocate(12);
            while (hello.hasRemaining() && ch.read(hello) >= 0) {
                // RFB server greeting
            }
            return new String(hello.array(), StandardCharsets.US_ASCII);
        }
    }
}
