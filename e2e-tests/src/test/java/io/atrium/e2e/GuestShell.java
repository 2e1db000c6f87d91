package io.atrium.e2e;

import io.atrium.vmm.host.VmmHost;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.qemu.RunDir;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.qga.QgaExecResult;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * What a test does inside a desktop, through its QEMU guest agent (the X desktop runs {@code qemu-ga}): a shell
 * command, a file. Each call connects and disconnects again: the agent's channel takes one client at a time, and
 * Atrium's own connection (keyboard layouts, file transfers) lets go after a few idle seconds, so a call may wait
 * for it.
 */
public final class GuestShell {
    private static final Duration CONNECT = Duration.ofSeconds(60);
    private final VmmHost vmm;
    private final String machine;

    public GuestShell(AtriumServer server, String desktopName) {
        this.vmm = server.bean(VmmHost.class);
        this.machine = desktopName;
    }

    /** Runs {@code sh -c script} in the guest (as root, with DISPLAY=:0); returns standard output, or fails. */
    public String sh(String script) {
        try (QgaClient qga = QgaClient.connect(RunDir.of(vmm.properties(), machine).qgaSocket(), CONNECT)) {
            QgaExecResult r = qga.exec(List.of("/bin/sh", "-c", "export DISPLAY=:0 LANG=C.UTF-8; " + script),
                    Duration.ofSeconds(60));
            if (!r.succeeded()) {
                throw new AssertionError("in " + machine + ": `" + script + "` exited " + r.exitCode() + ": "
                        + r.stderrText());
            }
            return r.stdoutText();
        }
    }

    public void write(String path, byte[] content) {
        try (QgaClient qga = QgaClient.connect(RunDir.of(vmm.properties(), machine).qgaSocket(), CONNECT)) {
            qga.writeFile(path, new ByteArrayInputStream(content), content.length, null);
        }
    }

    public byte[] read(String path) {
        try (QgaClient qga = QgaClient.connect(RunDir.of(vmm.properties(), machine).qgaSocket(), CONNECT)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            qga.readFile(path, out, 256L << 20, null);
            return out.toByteArray();
        }
    }

    /**
     * Waits until the desktop's clipboard agent is ready ({@link GuestImage#CLIPBOARD_AGENT_READY} on its serial
     * console): a desktop handed out moments after its clone came up may not have it yet.
     */
    public void awaitClipboardAgent() {
        Path serial = RunDir.of(vmm.properties(), machine).serialLog();
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
                Files.exists(serial) && Files.readString(serial, StandardCharsets.ISO_8859_1)
                        .contains(GuestImage.CLIPBOARD_AGENT_READY));
    }

    /** Sets the guest's CLIPBOARD selection to {@code text} (xclip keeps serving it in the background). */
    public void setClipboard(String text) {
        write("/tmp/atrium-clip.txt", text.getBytes(StandardCharsets.UTF_8));
        sh("xclip -selection clipboard -i /tmp/atrium-clip.txt >/dev/null 2>&1 &");
    }

    /**
     * The guest's CLIPBOARD selection, as whoever owns it serves it (spice-vdagent for text from the browser), without
     * the one NUL that ends text from the browser: the extended clipboard's text is NUL-terminated (noVNC sends it so)
     * and QEMU 7.2 hands the terminator on to the guest; X programs paste up to it, xclip prints it.
     */
    public String clipboard() {
        String text = sh("timeout 20 xclip -selection clipboard -o");
        return text.endsWith("\0") ? text.substring(0, text.length() - 1) : text;
    }
}
