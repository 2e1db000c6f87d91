package io.atrium.vmm.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.clone.Template;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.testing.Frames;
import io.atrium.vmm.testing.QemuFixture;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The X desktop image boots to an X screen (jwm + xterm), and an instant clone of it shows the X
 * screen too. Building the image takes minutes (debootstrap) and booting it about a minute under
 * TCG, so this runs only with {@code -Datrium.test.x-desktop=true}.
 */
@EnabledIfSystemProperty(named = "atrium.test.x-desktop", matches = "true")
class XDesktopIntegrationTest {

    @RegisterExtension
    static final QemuFixture qemu = new QemuFixture(Duration.ofMinutes(4));

    @Test
    void bootsToAnXScreenAndClonesFromATemplate() {
        VmSpec spec = qemu.host().specFor(GuestImages.X_DESKTOP, "xdesk-cold").build();
        assertThat(spec.memoryMb()).isGreaterThanOrEqualTo(256);
        QemuVm vm = qemu.start(spec);
        long ms = Frames.awaitFrame(vm, vm.runDir().resolve("x.png"), Frames::isXDesktop, Duration.ofMinutes(4), 1000)
                / 1_000_000;
        System.out.println("x-desktop cold boot to X screen: " + ms + " ms");
        vm.close();

        Template template = qemu.host().prepareTemplate(GuestImages.X_DESKTOP);
        QemuVm clone = qemu.track(qemu.host().startFromTemplate(template, "xdesk-1", "52:54:00:bb:00:01"));
        Frames.awaitFrame(clone, clone.runDir().resolve("x.png"), Frames::isXDesktop, Duration.ofSeconds(60), 500);
        clone.awaitSerialOutput("atrium-agent: identity hostname xdesk-1 mac 52:54:00:bb:00:01", Duration.ofSeconds(5));
    }
}
