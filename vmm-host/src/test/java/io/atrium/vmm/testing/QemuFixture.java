package io.atrium.vmm.testing;

import io.atrium.vmm.Accelerator;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.host.VmmHost;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.qemu.AcceleratorProbe;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import io.atrium.vmm.qemu.VmSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 fixture that runs real QEMU VMs of the console guest.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final QemuFixture qemu = new QemuFixture();
 *
 * @Test
 * void boots() {
 *     QemuVm vm = qemu.startConsole("t1");
 *     qemu.awaitShell(vm);
 * }
 * }</pre>
 *
 * <ul>
 *   <li>The console image is built (or reused) in {@link #sharedImageDataDir()}
 *       ({@code ~/.cache/atrium/test-data}) so test runs and modules share one cached build.</li>
 *   <li>VM run directories live in a fresh temporary data dir per fixture (short paths, so unix
 *       socket paths fit; no interference with other test JVMs).</li>
 *   <li>Every VM started through the fixture is killed after each test, pass or fail.</li>
 *   <li>When a test failed, each VM's {@code qemu.log}, {@code serial.log} and {@code qemu.args}
 *       are copied to {@code target/qemu-logs/<TestClass>/<test>/<vm>/} (override the base with
 *       {@code -Datrium.qemu.logs=DIR}) and the location is printed.</li>
 *   <li>The accelerator is auto-detected; force one with {@code -Datrium.vmm.accel=TCG|KVM}.</li>
 *   <li>A missing QEMU makes tests fail (not skip).</li>
 * </ul>
 * Register it {@code static} (one host per test class) or per instance.
 */
public final class QemuFixture implements AfterEachCallback, AfterAllCallback {

    /** Written to the serial console by the guest's /init when userspace runs. */
    public static final String USERSPACE_UP = "atrium-init: userspace up";
    /** Written to the serial console when the login shell on tty1 has read /etc/profile. */
    public static final String SHELL_READY = "atrium-init: shell ready on /dev/tty1";

    private static GuestImage sharedConsoleImage;

    private final Duration bootTimeout;
    private final List<QemuVm> vms = new ArrayList<>();
    private Path dataDir;
    private VmmHost host;

    public QemuFixture() {
        this(Duration.ofSeconds(90));
    }

    /** @param bootTimeout how long {@link #awaitShell} waits for the guest shell */
    public QemuFixture(Duration bootTimeout) {
        this.bootTimeout = bootTimeout;
    }

    /** {@code ~/.cache/atrium/test-data}: where tests build and cache guest images. */
    public static Path sharedImageDataDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "atrium", "test-data");
    }

    /** The console image from the shared test data dir, built once per JVM at most. */
    public static synchronized GuestImage sharedConsoleImage() {
        if (sharedConsoleImage == null || !Files.exists(sharedConsoleImage.manifest())) {
            sharedConsoleImage = new GuestImages(VmmProperties.defaults(sharedImageDataDir())).console();
        }
        return sharedConsoleImage;
    }

    /** The accelerator tests use: {@code -Datrium.vmm.accel} or AUTO. */
    public static Accelerator requestedAccelerator() {
        return Accelerator.valueOf(System.getProperty("atrium.vmm.accel", "AUTO").toUpperCase(Locale.ROOT));
    }

    /** The host (created on first use); its launcher's data dir is this fixture's temp dir. */
    public synchronized VmmHost host() {
        if (host == null) {
            try {
                dataDir = Files.createTempDirectory("atrium-vmm-");
            } catch (IOException e) {
                throw new IllegalStateException("cannot create fixture data dir", e);
            }
            VmmProperties properties = VmmProperties.defaults(dataDir).withAccel(requestedAccelerator());
            ResolvedAccelerator accel = new AcceleratorProbe().resolve(properties.accel());
            GuestImages images = new GuestImages(VmmProperties.defaults(sharedImageDataDir()));
            host = new VmmHost(properties, accel, images, new QemuLauncher(properties));
        }
        return host;
    }

    /** This fixture's data dir (VM run directories are in {@code run/} below it). */
    public Path dataDir() {
        host();
        return dataDir;
    }

    public GuestImage consoleImage() {
        return host().images().console();
    }

    /** A console-guest spec named {@code name} (see {@link VmmHost#consoleSpec(String)}). */
    public VmSpec.Builder consoleSpec(String name) {
        return host().consoleSpec(name);
    }

    /** Starts a console-guest VM; it is killed after the test. */
    public QemuVm startConsole(String name) {
        return track(host().startConsole(name));
    }

    /** Starts a VM from a spec; it is killed after the test. */
    public QemuVm start(VmSpec spec) {
        return track(host().start(spec));
    }

    /** Makes the fixture kill (and on failure collect logs of) a VM started some other way. */
    public synchronized QemuVm track(QemuVm vm) {
        vms.add(vm);
        return vm;
    }

    /** Waits until the guest's shell on tty1 is up (see {@link #SHELL_READY}). */
    public QemuVm awaitShell(QemuVm vm) {
        vm.awaitSerialOutput(SHELL_READY, bootTimeout);
        return vm;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<QemuVm> started;
        synchronized (this) {
            started = List.copyOf(vms);
            vms.clear();
        }
        if (context.getExecutionException().isPresent() && !started.isEmpty()) {
            Path base = Path.of(System.getProperty("atrium.qemu.logs", "target/qemu-logs"))
                    .resolve(context.getRequiredTestClass().getSimpleName())
                    .resolve(context.getRequiredTestMethod().getName());
            for (QemuVm vm : started) {
                copyLogs(vm, base.resolve(vm.name()));
            }
            System.err.println("[QemuFixture] test failed; QEMU logs copied to " + base.toAbsolutePath());
        }
        for (QemuVm vm : started) {
            try {
                vm.close();
            } catch (RuntimeException e) {
                System.err.println("[QemuFixture] cannot stop " + vm + ": " + e);
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /** Kills everything and removes the temporary data dir (also called after all tests). */
    public synchronized void close() {
        for (QemuVm vm : vms) {
            vm.close();
        }
        vms.clear();
        if (host != null) {
            host.close();
            deleteTree(dataDir);
            host = null;
        }
    }

    private static void copyLogs(QemuVm vm, Path target) {
        try {
            Files.createDirectories(target);
            for (Path source : vm.layout().logs()) {
                if (Files.exists(source)) {
                    Files.copy(source, target.resolve(source.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            System.err.println("[QemuFixture] cannot copy logs of " + vm + ": " + e);
        }
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                path.toFile().setWritable(true);
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            System.err.println("[QemuFixture] cannot delete " + root + ": " + e);
        }
    }
}
