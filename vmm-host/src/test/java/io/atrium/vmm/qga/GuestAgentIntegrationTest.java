package io.atrium.vmm.qga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.vmm.clone.Template;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.testing.QemuFixture;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The QEMU guest agent in the real X desktop image: a booted desktop and instant clones of it
 * answer, run processes, take their clock from the host after a restore and move files both ways.
 * Building the image takes minutes and each boot about a minute under TCG, so this runs only with
 * {@code -Datrium.test.x-desktop=true}; then nothing is skipped: a missing agent, channel or image
 * fails the test.
 */
@EnabledIfSystemProperty(named = "atrium.test.x-desktop", matches = "true")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuestAgentIntegrationTest {

    @RegisterExtension
    static final QemuFixture qemu = new QemuFixture(Duration.ofMinutes(4));

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration EXEC = Duration.ofSeconds(30);
    private static final String FILE = "/var/tmp/atrium-qga-test.bin";

    @Test
    @Order(1)
    void aBootedXDesktopRunsTheAgent() throws Exception {
        VmSpec spec = qemu.host().specFor(GuestImages.X_DESKTOP, "qga-cold").build();
        assertThat(spec.guestAgent()).as("the X desktop image runs qemu-ga, so its VMs get the channel").isTrue();
        QemuVm vm = qemu.start(spec);
        vm.awaitSerialOutput(GuestImage.GUEST_AGENT_STARTED, Duration.ofMinutes(4));

        try (QgaClient qga = QgaClient.connect(spec.qgaSocket(), Duration.ofSeconds(60))) {
            qga.ping();
            QgaInfo info = qga.info();
            System.out.println("qemu-ga " + info.version() + " in the X desktop, " + info.enabledCommands().size()
                    + " commands");
            assertThat(info.version()).startsWith("7.2");
            assertThat(info.enabledCommands()).contains("guest-sync-delimited", "guest-exec", "guest-exec-status",
                    "guest-set-time", "guest-get-time", "guest-get-host-name", "guest-network-get-interfaces",
                    "guest-file-open", "guest-file-read", "guest-file-write", "guest-file-close");

            assertThat(run(qga, "uname", "-n")).isEqualTo("qga-cold\n");
            assertThat(run(qga, "id", "-u")).isEqualTo("0\n");
            assertThat(qga.hostname()).isEqualTo("qga-cold");
            assertThat(qga.networkInterfaces()).anySatisfy(nic -> {
                assertThat(nic.macAddress()).contains(spec.macAddress());
                assertThat(nic.name()).isNotEqualTo("lo");
            });

            QgaExecResult cat = qga.exec(List.of("cat"), "from the host".getBytes(StandardCharsets.UTF_8), EXEC);
            assertThat(cat.succeeded()).isTrue();
            assertThat(cat.stdoutText()).isEqualTo("from the host");
            QgaExecResult failing = qga.exec(List.of("sh", "-c", "echo oops >&2; exit 3"), EXEC);
            assertThat(failing.exitCode()).isEqualTo(3);
            assertThat(failing.stderrText()).isEqualTo("oops\n");
            assertThatThrownBy(() -> qga.exec(List.of("/no/such/program"), EXEC)).isInstanceOf(QgaErrorException.class);
            // the client stays in sync after an error reply
            assertThat(run(qga, "echo", "still here")).isEqualTo("still here\n");
        }

        // an earlier client left a slow command (its reply comes after it went away) and half a command
        try (SocketChannel earlier = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            earlier.connect(UnixDomainSocketAddress.of(spec.qgaSocket()));
            earlier.write(ByteBuffer.wrap("{\"execute\": \"guest-set-time\"}\n{\"execute\": \"guest-pi"
                    .getBytes(StandardCharsets.US_ASCII)));
        }
        try (QgaClient qga = QgaClient.connect(spec.qgaSocket(), Duration.ofSeconds(60))) {
            assertThat(qga.hostname()).isEqualTo("qga-cold");
            assertThat(run(qga, "uname", "-n")).isEqualTo("qga-cold\n");
        }
    }

    @Test
    @Order(2)
    void anInstantCloneAnswersTakesTheHostTimeAndMovesFiles() throws Exception {
        Template template = qemu.host().prepareTemplate(GuestImages.X_DESKTOP);
        assertThat(template.guestAgent()).isTrue();
        String mac = "52:54:00:cc:00:01";
        QemuVm clone = qemu.track(qemu.host().startFromTemplate(template, "qga-clone-1", mac));

        try (QgaClient qga = QgaClient.connect(clone.layout().qgaSocket(), TIMEOUT)) {
            // the channel survived the restore: the template's agent answers in the clone
            qga.ping();
            assertThat(qga.hostname()).isEqualTo("qga-clone-1");
            assertThat(qga.networkInterfaces()).anySatisfy(nic -> assertThat(nic.macAddress()).contains(mac));

            // the clock, always from a wrong time, so that the host's time is shown to come from the command:
            // from the RTC (QEMU's follows the host clock across the restore; date -s leaves it alone) ...
            long yesterday = Instant.now().minus(Duration.ofDays(1)).getEpochSecond();
            run(qga, "date", "-s", "@" + yesterday);
            assertThat(guestSeconds(qga)).isBetween(yesterday, yesterday + 5);
            qga.setTimeFromRtc();
            long now = Instant.now().getEpochSecond();
            assertThat(guestSeconds(qga)).isBetween(now - 3, now + 3);
            // ... and from the host's clock
            Instant wrong = Instant.now().minus(Duration.ofDays(3)).truncatedTo(ChronoUnit.SECONDS);
            qga.setTime(wrong);
            assertThat(guestSeconds(qga)).isBetween(wrong.getEpochSecond(), wrong.getEpochSecond() + 5);
            qga.setTime(Instant.now());
            long host = Instant.now().getEpochSecond();
            long guest = guestSeconds(qga);
            System.out.println("guest clock after setTime: " + (guest - host) + " s from the host's");
            assertThat(guest).isBetween(host - 3, host + 3);
            assertThat(Duration.between(qga.time(), Instant.now()).abs()).isLessThan(Duration.ofSeconds(3));

            // 5 MiB of random bytes into the guest and back, byte for byte
            byte[] data = new byte[5 << 20];
            new Random(42).nextBytes(data);
            List<Long> progress = new CopyOnWriteArrayList<>();
            long start = System.nanoTime();
            assertThat(qga.writeFile(FILE, new ByteArrayInputStream(data), 8 << 20, progress::add)).isEqualTo(data.length);
            long writeMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(progress).hasSize(data.length / qga.limits().chunkBytes()).isSorted();
            assertThat(progress.getLast()).isEqualTo(data.length);
            assertThat(run(qga, "sha256sum", FILE)).startsWith(
                    HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)) + "  " + FILE);
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            start = System.nanoTime();
            assertThat(qga.readFile(FILE, back, 8 << 20, null)).isEqualTo(data.length);
            long readMs = (System.nanoTime() - start) / 1_000_000;
            System.out.println("5 MiB through qemu-ga: write " + writeMs + " ms, read " + readMs + " ms");
            assertThat(back.toByteArray()).isEqualTo(data);
            // a cap below the file's size stops the read
            assertThatThrownBy(() -> qga.readFile(FILE, new ByteArrayOutputStream(), 1 << 20, null))
                    .isInstanceOf(QgaTransferLimitException.class);
            qga.ping();
        }

        // refresh = another restore: the agent answers again, on a clean disk
        QemuVm refreshed = qemu.track(qemu.host().refresh(template, clone));
        try (QgaClient qga = QgaClient.connect(refreshed.layout().qgaSocket(), TIMEOUT)) {
            assertThat(qga.hostname()).isEqualTo("qga-clone-1");
            assertThat(qga.exec(List.of("test", "-e", FILE), EXEC).exitCode()).isEqualTo(1);
        }
    }

    private static String run(QgaClient qga, String... argv) {
        QgaExecResult result = qga.exec(List.of(argv), EXEC);
        assertThat(result.exitCode()).as(String.join(" ", argv) + ": " + result.stderrText()).isZero();
        return result.stdoutText();
    }

    private static long guestSeconds(QgaClient qga) {
        return Long.parseLong(run(qga, "date", "+%s").strip());
    }
}
