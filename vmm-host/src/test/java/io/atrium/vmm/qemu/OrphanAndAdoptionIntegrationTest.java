package io.atrium.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.host.VmmHost;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.testing.ChildJvmVm;
import io.atrium.vmm.testing.QemuFixture;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** QEMU processes never outlive their owner unless asked to, and can be re-adopted when asked. */
class OrphanAndAdoptionIntegrationTest {

    private Path dataDir;
    private final List<Long> pidsToReap = new ArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        dataDir = Files.createTempDirectory("atrium-orphan-");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        for (long pid : pidsToReap) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        try (Stream<Path> paths = Files.walk(dataDir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void startupScanKillsAnOrphanedQemu() throws Exception {
        Path runDir = dataDir.resolve("run").resolve("orphan");
        long pid = startDaemonizedQemu(runDir);
        assertThat(ProcessHandle.of(pid)).map(ProcessHandle::isAlive).contains(true);
        assertThat(QemuLauncher.isQemuFor(pid, runDir)).isTrue();

        QemuLauncher launcher = new QemuLauncher(VmmProperties.defaults(dataDir));
        toClose.add(launcher);

        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(launcher.findRunning()).isEmpty();
    }

    @Test
    void keptVmsAreFoundAndAdoptedByTheNextLauncher() throws Exception {
        VmmProperties keep = VmmProperties.defaults(dataDir).withKeepVmsOnExit(true);
        ResolvedAccelerator accel = new AcceleratorProbe().resolve(QemuFixture.requestedAccelerator());
        GuestImages images = new GuestImages(VmmProperties.defaults(QemuFixture.sharedImageDataDir()));

        VmmHost first = new VmmHost(keep, accel, images, new QemuLauncher(keep));
        QemuVm vm = first.startConsole("kept");
        pidsToReap.add(vm.pid());
        vm.awaitSerialOutput(QemuFixture.SHELL_READY, Duration.ofSeconds(90));
        first.close(); // keepVmsOnExit: detaches, QEMU keeps running
        assertThat(vm.isRunning()).isTrue();

        QemuLauncher second = new QemuLauncher(keep);
        toClose.add(second);
        assertThat(second.findRunning()).containsExactly(new AdoptableVm("kept", first.runDir("kept"), vm.pid()));
        QemuVm adopted = second.adopt(first.runDir("kept"));
        assertThat(adopted.pid()).isEqualTo(vm.pid());
        assertThat(adopted.qmp().execute("query-status").path("status").asString()).isEqualTo("running");
        assertThat(second.findRunning()).isEmpty();
        assertThat(adopted.shutdown(Duration.ofSeconds(30))).isEqualTo(ShutdownResult.GRACEFUL);
        assertThat(adopted.onExit().get(5, TimeUnit.SECONDS)).isEqualTo(-1);
    }

    @Test
    void quitAndKillEndAGuestThatIgnoresThePowerButton() throws Exception {
        VmmProperties keep = VmmProperties.defaults(dataDir).withKeepVmsOnExit(true);
        Path runDir = dataDir.resolve("run").resolve("deaf");
        long pid = startDaemonizedQemu(runDir);
        QemuLauncher launcher = new QemuLauncher(keep);
        toClose.add(launcher);
        QemuVm vm = launcher.adopt(runDir);
        // "-machine none" has no ACPI: system_powerdown does nothing, so QMP quit ends it
        assertThat(vm.shutdown(Duration.ofMillis(500))).isEqualTo(ShutdownResult.QUIT);
        assertThat(vm.isRunning()).isFalse();
    }

    @Test
    void sigkilledJvmLeavesNoQemuBehind() throws Exception {
        GuestImage image = QemuFixture.sharedConsoleImage();
        assertThat(image.kernel()).exists();
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Datrium.vmm.accel=" + QemuFixture.requestedAccelerator(), ChildJvmVm.class.getName(),
                dataDir.toString(), "child")
                .redirectErrorStream(true).start();
        toClose.add(child::destroyForcibly);
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()));
        StringBuilder transcript = new StringBuilder();
        long pid = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    transcript.append(line).append('\n');
                    if (line.startsWith("QEMU_PID=")) {
                        return Long.parseLong(line.substring("QEMU_PID=".length()));
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            throw new IllegalStateException("child JVM ended without starting QEMU:\n" + transcript);
        }).get(90, TimeUnit.SECONDS);
        pidsToReap.add(pid);
        Optional<ProcessHandle> qemu = ProcessHandle.of(pid);
        assertThat(qemu).isPresent();
        assertThat(qemu.get().parent().map(ProcessHandle::pid)).contains(child.pid());

        child.destroyForcibly(); // SIGKILL: no shutdown hook runs, only PR_SET_PDEATHSIG can help
        child.waitFor(10, TimeUnit.SECONDS);
        qemu.get().onExit().get(10, TimeUnit.SECONDS);
        assertThat(qemu.get().isAlive()).isFalse();
    }

    /** A QEMU that detaches itself from this JVM (-daemonize), like one left by a dead broker. */
    private long startDaemonizedQemu(Path runDir) throws Exception {
        Files.createDirectories(runDir);
        RunDir files = RunDir.of(runDir);
        Process p = new ProcessBuilder("qemu-system-x86_64", "-machine", "none", "-nodefaults", "-display", "none",
                "-chardev", "socket,id=qmp,path=" + files.qmpSocket() + ",server=on,wait=off",
                "-mon", "chardev=qmp,mode=control", "-pidfile", files.pidFile().toString(), "-daemonize")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(output).isZero();
        long pid = Long.parseLong(Files.readString(files.pidFile()).strip());
        pidsToReap.add(pid);
        return pid;
    }
}
