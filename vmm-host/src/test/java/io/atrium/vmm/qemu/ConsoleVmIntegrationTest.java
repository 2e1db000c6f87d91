package io.atrium.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.host.VmmHost;
import io.atrium.vmm.testing.QemuFixture;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Boots the real console guest in real QEMU (TCG or KVM, auto-detected). */
class ConsoleVmIntegrationTest {

    @RegisterExtension
    static final QemuFixture qemu = new QemuFixture();

    @Test
    void bootsToShellAndTypedKeysReachIt() {
        long start = System.nanoTime();
        QemuVm vm = qemu.startConsole("keys");
        qemu.awaitShell(vm);
        System.out.printf("console guest (%s) reached its shell in %d ms%n", qemu.host().accelerator().accel(),
                (System.nanoTime() - start) / 1_000_000);
        assertThat(vm.serialLogText()).contains(QemuFixture.USERSPACE_UP + " (hostname keys)")
                .contains("atrium-init: data disk mounted on /data")
                .contains("atrium-init: acpid started");

        vm.typeText("echo hello > /dev/ttyS0\n");
        vm.awaitSerialOutput("\nhello", Duration.ofSeconds(20));

        // the data disk is the golden image's content, seen through the linked clone
        vm.typeText("cat /data/README | head -n 1 > /dev/ttyS0\n");
        vm.awaitSerialOutput("Atrium console guest data disk", Duration.ofSeconds(20));
    }

    @Test
    void screendumpShowsTheBluePromptAndTypedRedBlocks(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        QemuVm vm = qemu.awaitShell(qemu.startConsole("screen"));
        Path prompt = tmp.resolve("prompt.png");
        awaitScreen(vm, prompt, image -> count(image, QemuVmColors::isBlue) > 500);
        BufferedImage image = ImageIO.read(prompt.toFile());
        assertThat(image.getWidth()).isEqualTo(720);
        assertThat(image.getHeight()).isEqualTo(400);
        assertThat(count(image, QemuVmColors::isBlue)).isGreaterThan(500);
        assertThat(count(image, QemuVmColors::isRed)).isZero();

        vm.typeText("printf '\\033[41m          \\033[0m\\n'\n");
        Path red = tmp.resolve("red.png");
        awaitScreen(vm, red, img -> count(img, QemuVmColors::isRed) > 500);
    }

    @Test
    void acpiPowerdownShutsDownGracefully() {
        QemuVm vm = qemu.awaitShell(qemu.startConsole("acpi"));
        List<String> events = new CopyOnWriteArrayList<>();
        vm.qmp().addListener(e -> events.add(e.event()));
        long start = System.nanoTime();
        ShutdownResult result = vm.shutdown(Duration.ofSeconds(30));
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("ACPI shutdown took %d ms%n", ms);
        assertThat(result).isEqualTo(ShutdownResult.GRACEFUL);
        assertThat(vm.isRunning()).isFalse();
        assertThat(vm.onExit().join()).isZero();
        assertThat(events).contains("POWERDOWN", "SHUTDOWN");
        assertThat(vm.serialLogText()).contains("power button pressed, powering off").contains("shutting down");
        assertThat(vm.shutdown(Duration.ofSeconds(1))).isEqualTo(ShutdownResult.ALREADY_STOPPED);
    }

    @Test
    void resetRebootsTheGuest() {
        QemuVm vm = qemu.awaitShell(qemu.startConsole("reset"));
        List<String> events = new CopyOnWriteArrayList<>();
        vm.qmp().addListener(e -> events.add(e.event()));
        vm.reset();
        vm.awaitSerialOutput(QemuFixture.SHELL_READY, 2, Duration.ofSeconds(90));
        assertThat(events).contains("RESET");
        assertThat(vm.isRunning()).isTrue();
        JsonNode status = vm.qmp().execute("query-status");
        assertThat(status.path("status").asString()).isEqualTo("running");
    }

    @Test
    void diskIsALinkedCloneOfTheReadOnlyGoldenAndVncIsUnixOnly() throws Exception {
        QemuVm vm = qemu.startConsole("clone");
        Path golden = qemu.consoleImage().goldenDisk();
        Path overlay = vm.spec().disk();
        assertThat(overlay).isEqualTo(vm.layout().overlay());
        JsonNode info = JsonMapper.builder().build().readTree(run("qemu-img", "info", "-U", "--output=json",
                overlay.toString()));
        assertThat(info.path("format").asString()).isEqualTo("qcow2");
        assertThat(info.path("backing-filename").asString()).isEqualTo(golden.toString());
        assertThat(Files.getPosixFilePermissions(golden)).isEqualTo(PosixFilePermissions.fromString("r--r--r--"));

        assertThat(Files.getPosixFilePermissions(vm.vncSocket().getParent()))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.readAttributes(vm.vncSocket(), "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode"))
                .satisfies(mode -> assertThat(((Integer) mode) & 0170000).isEqualTo(0140000));
        assertThat(tcpListenersOf(vm.pid())).isEmpty();
        assertThat(QemuLauncher.cmdline(vm.pid())).contains("-vnc", "unix:" + vm.vncSocket())
                .doesNotContainSequence("-vnc", ":0");
    }

    @Test
    void qemuDyingDuringStartReportsItsLog() {
        VmSpec spec = qemu.consoleSpec("broken").extraArgs(List.of("-device", "no-such-device")).build();
        assertThatThrownBy(() -> qemu.start(spec))
                .isInstanceOf(VmmException.class)
                .hasMessageContaining("exited with code 1 during start")
                .hasMessageContaining("no-such-device");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private interface ImageCheck {
        boolean ok(BufferedImage image);
    }

    private static void awaitScreen(QemuVm vm, Path png, ImageCheck check) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            vm.screendump(png);
            BufferedImage image = ImageIO.read(png.toFile());
            if (image != null && check.ok(image)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("screen never matched; last screendump: " + png);
            }
            sleep(300);
        }
    }

    private static int count(BufferedImage image, java.util.function.IntPredicate color) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (color.test(image.getRGB(x, y))) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Inodes of TCP sockets in LISTEN state that the process holds open. */
    private static Set<String> tcpListenersOf(long pid) throws IOException {
        Set<String> socketInodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    Matcher m = Pattern.compile("socket:\\[(\\d+)]").matcher(target);
                    if (m.matches()) {
                        socketInodes.add(m.group(1));
                    }
                } catch (IOException ignored) {
                    // fd closed meanwhile
                }
            }
        }
        Set<String> listening = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            for (String line : Files.readAllLines(path).subList(1, Files.readAllLines(path).size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[3].equals("0A") && socketInodes.contains(f[9])) {
                    listening.add(table + " " + f[1]);
                }
            }
        }
        return listening;
    }

    private static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            assertThat(p.waitFor()).as(out).isZero();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Colors of the VGA text console palette in QEMU's screendump. */
    static final class QemuVmColors {
        private QemuVmColors() {
        }

        static boolean isBlue(int rgb) {
            int r = (rgb >> 16) & 0xff;
            int g = (rgb >> 8) & 0xff;
            int b = rgb & 0xff;
            return b > 120 && r < 60 && g < 60;
        }

        static boolean isRed(int rgb) {
            int r = (rgb >> 16) & 0xff;
            int g = (rgb >> 8) & 0xff;
            int b = rgb & 0xff;
            return r > 120 && g < 60 && b < 60;
        }
    }
}
