package io.atrium.vmm.host;

import io.atrium.vmm.qemu.AcceleratorProbe;
import io.atrium.vmm.disk.DirectoryCache;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.testing.QemuFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Real {@link LocalMachineHost}s for a test: each on a {@link VmmHost} over a data directory of the test, with the
 * console image from the shared test cache. After each test, pass or fail, every QEMU found in those data
 * directories is killed (also ones a released host left running) and the directories are removed; when the test
 * failed, each VM's {@code qemu.log}, {@code serial.log} and {@code qemu.args} are first copied to
 * {@code target/qemu-logs/<TestClass>/<test>/<vm>/}.
 */
final class MachineHostFixture implements AfterEachCallback {

    private final List<Path> dataDirs = new ArrayList<>();
    private final List<VmmHost> vmmHosts = new ArrayList<>();
    private final List<LocalMachineHost> machineHosts = new ArrayList<>();

    /** A fresh data directory (short, under the temp dir, so unix socket paths fit). */
    synchronized Path newDataDir() {
        try {
            Path dir = Files.createTempDirectory("atrium-mh-");
            dataDirs.add(dir);
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A VMM host over {@code dataDir}. */
    synchronized VmmHost vmmHost(Path dataDir, boolean keepVmsOnExit) {
        return vmmHost(dataDir, keepVmsOnExit, io.atrium.vmm.library.LibraryProperties.defaults());
    }

    /** A VMM host over {@code dataDir} with the image library's settings. */
    synchronized VmmHost vmmHost(Path dataDir, boolean keepVmsOnExit, io.atrium.vmm.library.LibraryProperties library) {
        VmmProperties properties = VmmProperties.defaults(dataDir).withAccel(QemuFixture.requestedAccelerator())
                .withKeepVmsOnExit(keepVmsOnExit).withHostId("test-host");
        ResolvedAccelerator accel = new AcceleratorProbe().resolve(properties.accel());
        VmmHost host = new VmmHost(properties, accel,
                new GuestImages(VmmProperties.defaults(QemuFixture.sharedImageDataDir())), new QemuLauncher(properties),
                library);
        vmmHosts.add(host);
        return host;
    }

    /** A machine host on {@code vmm} with a ready timeout of two minutes. */
    synchronized LocalMachineHost machineHost(VmmHost vmm) {
        LocalMachineHost host = new LocalMachineHost(vmm, "test-host", Duration.ofMinutes(2), Clock.systemUTC());
        machineHosts.add(host);
        return host;
    }

    /** The QEMU VM of a machine, for a test that has to look inside the guest. */
    static QemuVm vm(VmmHost host, String name) {
        return host.launcher().vms().stream().filter(v -> v.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no VM " + name + " in " + host.launcher().vms()));
    }

    @Override
    public synchronized void afterEach(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            Path base = Path.of(System.getProperty("atrium.qemu.logs", "target/qemu-logs"))
                    .resolve(context.getRequiredTestClass().getSimpleName())
                    .resolve(context.getRequiredTestMethod().getName());
            for (Path dir : dataDirs) {
                for (Path runDir : runDirs(dir)) {
                    copyLogs(runDir, base.resolve(runDir.getFileName().toString()));
                }
            }
            System.err.println("[MachineHostFixture] test failed; QEMU logs copied to " + base.toAbsolutePath());
        }
        for (LocalMachineHost host : machineHosts) {
            try {
                host.release();
            } catch (RuntimeException e) {
                System.err.println("[MachineHostFixture] release: " + e);
            }
        }
        for (Path dir : dataDirs) {
            runDirs(dir).forEach(MachineHostFixture::killQemu);
        }
        vmmHosts.forEach(VmmHost::close);
        dataDirs.forEach(DirectoryCache::deleteTree);
        machineHosts.clear();
        vmmHosts.clear();
        dataDirs.clear();
    }

    private static List<Path> runDirs(Path dataDir) {
        Path run = dataDir.resolve("run");
        if (!Files.isDirectory(run)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(run)) {
            return dirs.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void killQemu(Path runDir) {
        Path pidFile = runDir.resolve("qemu.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        try {
            long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
            ProcessHandle.of(pid).filter(p -> p.info().command().orElse("").contains("qemu")).ifPresent(p -> {
                p.destroyForcibly();
                try {
                    p.onExit().get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    System.err.println("[MachineHostFixture] QEMU pid " + pid + " did not exit: " + e);
                }
            });
        } catch (IOException | NumberFormatException e) {
            System.err.println("[MachineHostFixture] cannot read " + pidFile + ": " + e);
        }
    }

    private static void copyLogs(Path runDir, Path target) {
        try {
            Files.createDirectories(target);
            for (String file : List.of("qemu.log", "serial.log", "qemu.args")) {
                Path source = runDir.resolve(file);
                if (Files.exists(source)) {
                    Files.copy(source, target.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            System.err.println("[MachineHostFixture] cannot copy logs of " + runDir + ": " + e);
        }
    }
}
