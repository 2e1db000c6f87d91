package io.atrium.vmm.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.atrium.vmm.api.GuestReply;
import io.atrium.vmm.api.GuestRequest;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.MachineInfo;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.qga.QgaExecResult;
import io.atrium.vmm.testing.RfbTestClient;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * What issue 10 needs from the X desktop, on a real instant clone through the machines contract: the vdagent port is
 * hot-plugged after the restore, the guest's clipboard agent gets ready on it and text crosses it both ways; the guest applies a keyboard layout;
 * files go in and out through {@link io.atrium.vmm.api.MachineHost#guest}; a SetDesktopSize on the VNC socket makes
 * the guest change its mode (the virtio-gpu hotplug hook). Needs the X image, so it runs with
 * {@code -Datrium.test.x-desktop=true}.
 */
@EnabledIfSystemProperty(named = "atrium.test.x-desktop", matches = "true")
class DesktopGuestIntegrationTest {

    @RegisterExtension
    final MachineHostFixture fixture = new MachineHostFixture();

    @Test
    void anInstantCloneGetsItsClipboardAgentLayoutFilesAndResizes() throws Exception {
        VmmHost vmm = fixture.vmmHost(fixture.newDataDir(), false);
        LocalMachineHost host = fixture.machineHost(vmm);
        MachineInfo info = host.start(new MachineSpec("xd-1", "52:54:00:ab:10:01",
                MachineSpec.ImageRef.of(GuestImages.X_DESKTOP), 1, 256, MachineSpec.DiskPolicy.FRESH,
                MachineSpec.BootMode.INSTANT_CLONE_PREFERRED, MachineSpec.NetworkAttachment.ISOLATED, Optional.empty()));
        assertThat(info.boot()).isEqualTo(MachineInfo.BootKind.INSTANT_CLONE);
        QemuVm vm = MachineHostFixture.vm(vmm, "xd-1");

        // The port the template could not have (QEMU 7.2 cannot migrate it) is there, and the agent started on it.
        JsonNode chardevs = vm.qmp().execute("query-chardev");
        assertThat(chardevs.valueStream().map(c -> c.path("label").asString(""))).contains("vdagent");
        vm.awaitSerialOutput(GuestImage.CLIPBOARD_AGENT_READY, Duration.ofSeconds(90));

        // Keyboard layout.
        host.guest("xd-1", new GuestRequest.SetKeyboardLayout("de", "nodeadkeys"));
        // Files: in, listed, out identical, renamed, deleted.
        byte[] content = new byte[300_000];
        new Random(3).nextBytes(content);
        host.guest("xd-1", new GuestRequest.MakeDirectory("/root/Transfer/t"));
        String handle = host.guest("xd-1", new GuestRequest.OpenFile("/root/Transfer/t/in.bin",
                GuestRequest.Mode.WRITE)).handle();
        for (int at = 0; at < content.length; at += 100_000) {
            host.guest("xd-1", new GuestRequest.WriteFile(handle, Arrays.copyOfRange(content, at, at + 100_000)));
        }
        host.guest("xd-1", new GuestRequest.CloseFile(handle));
        host.guest("xd-1", new GuestRequest.RenameFile("/root/Transfer/t/in.bin", "/root/Transfer/t/Grüße.bin"));
        List<GuestReply.GuestFile> files = host.guest("xd-1", new GuestRequest.ListFiles("/root/Transfer/t", 10)).files();
        assertThat(files).extracting(GuestReply.GuestFile::name, GuestReply.GuestFile::size)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("Grüße.bin", 300_000L));
        assertThat(host.guest("xd-1", new GuestRequest.ListFiles("/root/Transfer/none", 10)).files()).isEmpty();
        String reading = host.guest("xd-1", new GuestRequest.OpenFile("/root/Transfer/t/Grüße.bin",
                GuestRequest.Mode.READ)).handle();
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        while (true) {
            GuestReply.Chunk chunk = host.guest("xd-1", new GuestRequest.ReadFile(reading, 1 << 20));
            back.writeBytes(chunk.data());
            if (chunk.eof()) {
                break;
            }
        }
        host.guest("xd-1", new GuestRequest.CloseFile(reading));
        assertThat(back.toByteArray()).isEqualTo(content);
        assertThatThrownBy(() -> host.guest("xd-1", new GuestRequest.ReadFile(reading, 10)))
                .isInstanceOfSatisfying(MachineException.class,
                        e -> assertThat(e.kind()).isEqualTo(MachineException.Kind.INVALID_SPEC));
        assertThatThrownBy(() -> host.guest("xd-1", new GuestRequest.OpenFile("/root/Transfer/t/missing",
                GuestRequest.Mode.READ))).isInstanceOfSatisfying(MachineException.class,
                e -> assertThat(e.kind()).isEqualTo(MachineException.Kind.FAILED));
        host.guest("xd-1", new GuestRequest.DeleteFile("/root/Transfer/t/Grüße.bin"));
        assertThat(host.guest("xd-1", new GuestRequest.ListFiles("/root/Transfer/t", 10)).files()).isEmpty();

        // The host lets go of the agent when idle, so another client (here the test) can ask the guest itself.
        try (QgaClient qga = QgaClient.connect(vm.layout().qgaSocket(), Duration.ofSeconds(30))) {
            QgaExecResult query = qga.exec(List.of("/usr/bin/setxkbmap", "-display", ":0", "-query"),
                    Duration.ofSeconds(20));
            assertThat(query.stdoutText()).containsPattern("layout:\\s+de").containsPattern("variant:\\s+nodeadkeys");
            QgaExecResult agents = qga.exec(List.of("/bin/sh", "-c", "ps -eo comm | grep -c spice-vdagent"),
                    Duration.ofSeconds(20));
            assertThat(agents.stdoutText().strip()).isEqualTo("2"); // the daemon and the session agent
            // It still runs in 256 MiB: what the idle desktop leaves free for the user's programs.
            QgaExecResult memory = qga.exec(List.of("/bin/sh", "-c",
                    "awk '/^MemTotal|^MemAvailable/ {print $2}' /proc/meminfo"), Duration.ofSeconds(20));
            String[] kib = memory.stdoutText().strip().split("\\s+");
            long total = Long.parseLong(kib[0]) / 1024;
            long available = Long.parseLong(kib[1]) / 1024;
            String rss = java.nio.file.Files.readAllLines(Path.of("/proc/" + vm.pid() + "/status")).stream()
                    .filter(l -> l.startsWith("VmRSS:")).findFirst().orElse("VmRSS: ?").replaceAll("\\s+", " ");
            System.out.printf("x-desktop idle: MemTotal %d MiB, MemAvailable %d MiB; QEMU %s%n", total, available, rss);
            assertThat(available).as("MiB available in the idle X desktop").isGreaterThanOrEqualTo(64);
        }

        // Clipboard both ways between X and a VNC client (what the gateway relays to the browser): the guest copies,
        // QEMU notifies, the client asks and gets the text; the client notifies, a program in the guest pastes, QEMU
        // asks the client, the program gets the text.
        try (RfbTestClient vnc = RfbTestClient.connectForClipboard(vm.vncSocket());
                QgaClient qga = QgaClient.connect(vm.layout().qgaSocket(), Duration.ofSeconds(30))) {
            assertThat(vnc.readClipboard(Duration.ofSeconds(10)).has(RfbTestClient.CLIPBOARD_CAPS)).isTrue();
            String fromGuest = "aus dem Gast: Grüße, € " + System.nanoTime();
            byte[] utf8 = fromGuest.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            qga.writeFile("/tmp/copied.txt", new java.io.ByteArrayInputStream(utf8), utf8.length, null);
            long copied = System.nanoTime();
            qga.exec(List.of("/bin/sh", "-c", "DISPLAY=:0 xclip -selection clipboard -i /tmp/copied.txt"
                    + " >/dev/null 2>&1 &"), Duration.ofSeconds(20));
            RfbTestClient.ServerClipboard notify = vnc.readClipboard(Duration.ofSeconds(30));
            assertThat(notify.isCaps()).isFalse();
            assertThat(notify.has(RfbTestClient.CLIPBOARD_NOTIFY | RfbTestClient.CLIPBOARD_TEXT)).isTrue();
            vnc.clipboardRequest();
            RfbTestClient.ServerClipboard provided = vnc.readClipboard(Duration.ofSeconds(10));
            assertThat(provided.isCaps()).isFalse();
            assertThat(provided.has(RfbTestClient.CLIPBOARD_PROVIDE)).isTrue();
            assertThat(provided.text()).isEqualTo(fromGuest);
            System.out.printf("x-desktop: guest copy to the text at a VNC client in %d ms%n",
                    (System.nanoTime() - copied) / 1_000_000);

            String fromClient = "vom Browser: äöü ß 日本 " + System.nanoTime();
            vnc.clipboardNotify();
            long pasted = System.nanoTime();
            var paste = java.util.concurrent.CompletableFuture.supplyAsync(() -> qga.exec(List.of("/bin/sh", "-c",
                    "DISPLAY=:0 timeout 20 xclip -selection clipboard -o"), Duration.ofSeconds(30)));
            RfbTestClient.ServerClipboard request = vnc.readClipboard(Duration.ofSeconds(30));
            assertThat(request.isCaps()).isFalse();
            assertThat(request.has(RfbTestClient.CLIPBOARD_REQUEST)).isTrue();
            vnc.clipboardProvide(fromClient);
            // The extended clipboard's text is NUL-terminated (RFB; noVNC sends it so too) and QEMU 7.2 hands the
            // terminator on to the guest's clipboard: X programs paste up to it, xclip prints it.
            String inGuest = paste.get(40, java.util.concurrent.TimeUnit.SECONDS).stdoutText();
            assertThat(inGuest.endsWith("\0") ? inGuest.substring(0, inGuest.length() - 1) : inGuest)
                    .as("pasted in the guest, code points %s", inGuest.codePoints().boxed().toList())
                    .isEqualTo(fromClient);
            System.out.printf("x-desktop: paste in the guest of a VNC client's text in %d ms%n",
                    (System.nanoTime() - pasted) / 1_000_000);
        }

        // Resize: the viewer's SetDesktopSize reaches the guest, which takes the mode.
        try (RfbTestClient vnc = RfbTestClient.connect(vm.vncSocket())) {
            assertThat(vnc.initialSize()).isEqualTo("1280x800");
            long start = System.nanoTime();
            vnc.setDesktopSize(1600, 900);
            Path png = vm.runDir().resolve("resize.png");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                vm.screendump(png);
                BufferedImage image = ImageIO.read(png.toFile());
                return image != null && image.getWidth() == 1600 && image.getHeight() == 900;
            });
            System.out.printf("x-desktop: SetDesktopSize 1600x900 to a 1600x900 screen in %d ms%n",
                    (System.nanoTime() - start) / 1_000_000);
        }
    }
}
