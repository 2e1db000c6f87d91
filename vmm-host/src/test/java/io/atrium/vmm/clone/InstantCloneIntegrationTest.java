package io.atrium.vmm.clone;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.process.Command;
import io.atrium.vmm.process.ProcessRunner;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.RunDir;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.testing.Frames;
import io.atrium.vmm.testing.QemuFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Instant clones of the console guest with real QEMU: template, identity, independence, refresh. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InstantCloneIntegrationTest {

    @RegisterExtension
    static final QemuFixture qemu = new QemuFixture();

    private static Template template() {
        return qemu.host().instantClones().prepare(qemu.consoleImage());
    }

    @Test
    @Order(1)
    void templateIsCachedAndItsBaseIsReadOnly() throws Exception {
        Template first = template();
        long stateModified = Files.getLastModifiedTime(first.stateFile()).toMillis();
        long start = System.nanoTime();
        Template second = template();
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1000);
        assertThat(second).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(second.stateFile()).toMillis()).isEqualTo(stateModified);
        assertThat(first.directory().getParent()).isEqualTo(qemu.dataDir().resolve("templates"));
        assertThat(first.directory().getFileName().toString()).startsWith(qemu.consoleImage().hash().substring(0, 16));
        assertThat(Files.getPosixFilePermissions(first.baseDisk())).isEqualTo(PosixFilePermissions.fromString("r--r--r--"));
        assertThat(Files.size(first.stateFile())).isGreaterThan(1 << 20);
        // the golden VM is gone
        assertThat(qemu.host().findRunning()).isEmpty();
    }

    @Test
    @Order(2)
    void twoClonesComeUpFastWithTheirOwnHostnameMacAndDisk() throws Exception {
        Template template = template();
        long coldStart = System.nanoTime();
        QemuVm cold = qemu.awaitShell(qemu.startConsole("cold"));
        long coldMs = (System.nanoTime() - coldStart) / 1_000_000;
        cold.close();

        String mac1 = "52:54:00:aa:00:01";
        String mac2 = "52:54:00:aa:00:02";
        long start = System.nanoTime();
        QemuVm c1 = qemu.track(qemu.host().startFromTemplate(template, "clone-1", mac1));
        long clone1Ms = (System.nanoTime() - start) / 1_000_000;
        start = System.nanoTime();
        QemuVm c2 = qemu.track(qemu.host().startFromTemplate(template, "clone-2", mac2));
        long clone2Ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("cold boot to shell %d ms; instant clones with identity %d ms, %d ms%n", coldMs, clone1Ms,
                clone2Ms);
        assertThat(clone1Ms).isLessThan(coldMs);
        assertThat(clone2Ms).isLessThan(coldMs);

        // identity, as the guest sees it (agent read it back; the respawned shell prints its prompt)
        c1.awaitSerialOutput("atrium-agent: identity hostname clone-1 mac " + mac1, Duration.ofSeconds(5));
        c2.awaitSerialOutput("atrium-agent: identity hostname clone-2 mac " + mac2, Duration.ofSeconds(5));
        c1.awaitSerialOutput("shell ready on /dev/tty1 as atrium@clone-1", Duration.ofSeconds(10));
        c2.awaitSerialOutput("shell ready on /dev/tty1 as atrium@clone-2", Duration.ofSeconds(10));
        assertThat(c1.serialLogText()).doesNotContain("clone-2").doesNotContain(InstantClones.GOLDEN_NAME);
        Frames.awaitFrame(c1, c1.runDir().resolve("prompt.png"), Frames::isConsolePrompt, Duration.ofSeconds(10), 200);

        // MACs read inside the guest by a shell command, not only by the agent
        c1.typeText("echo mac-$(cat /sys/class/net/eth0/address) > /dev/ttyS0\n");
        c1.awaitSerialOutput("mac-" + mac1, Duration.ofSeconds(20));
        c2.typeText("echo mac-$(cat /sys/class/net/eth0/address) > /dev/ttyS0\n");
        c2.awaitSerialOutput("mac-" + mac2, Duration.ofSeconds(20));

        // independent overlays over the read-only template base
        for (QemuVm vm : List.of(c1, c2)) {
            assertThat(vm.spec().disk()).isEqualTo(vm.layout().overlay());
            String info = ProcessRunner.run(Command.of("qemu-img", "info", "-U", vm.spec().disk().toString())
                    .mergingErrors().withTimeout(Duration.ofSeconds(30))).stdout();
            assertThat(info).contains("backing file: " + template.baseDisk());
        }
        c1.typeText("echo clone-1-was-here > /data/mine && sync && echo wrote-mine > /dev/ttyS0\n");
        c1.awaitSerialOutput("wrote-mine", Duration.ofSeconds(20));
        c2.typeText("[ -e /data/mine ] && echo c2-sees-it > /dev/ttyS0 || echo c2-clean > /dev/ttyS0\n");
        c2.awaitSerialOutput("c2-clean", Duration.ofSeconds(20));
        assertThat(c2.serialLogText()).doesNotContain("c2-sees-it");
        assertThat(Files.getPosixFilePermissions(template.baseDisk())).isEqualTo(PosixFilePermissions.fromString("r--r--r--"));

        // refresh on logoff: overlay discarded, state restored, same identity again
        QemuVm refreshed = qemu.track(qemu.host().refresh(template, c1));
        assertThat(c1.isRunning()).isFalse();
        refreshed.awaitSerialOutput("shell ready on /dev/tty1 as atrium@clone-1", Duration.ofSeconds(10));
        refreshed.typeText("[ -e /data/mine ] && echo r-sees-it > /dev/ttyS0 || echo r-clean > /dev/ttyS0\n");
        refreshed.awaitSerialOutput("r-clean", Duration.ofSeconds(20));
        refreshed.typeText("echo mac-$(cat /sys/class/net/eth0/address) > /dev/ttyS0\n");
        refreshed.awaitSerialOutput("mac-" + mac1, Duration.ofSeconds(20));
    }

    @Test
    @Order(3)
    void aCloneSpecMustMatchTheTemplate() {
        Template template = template();
        VmSpec spec = template.cloneSpec("bad", VmSpec.randomMac(), qemu.host().runDir("bad"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> qemu.host().instantClones()
                .startFromTemplate(template, spec.toBuilder().memoryMb(512).build()))
                .isInstanceOf(IllegalArgumentException.class);
        // a clone has exactly its template's devices: not the guest agent channel the console template lacks
        assertThat(template.guestAgent()).isFalse();
        assertThat(spec.guestAgent()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> qemu.host().instantClones()
                .startFromTemplate(template, spec.toBuilder().guestAgent(true).build()))
                .isInstanceOf(IllegalArgumentException.class);
        Path overlay = RunDir.of(qemu.host().runDir("bad")).overlay();
        assertThat(overlay).doesNotExist();
    }
}
