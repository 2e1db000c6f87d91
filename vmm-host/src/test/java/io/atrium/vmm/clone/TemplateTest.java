package io.atrium.vmm.clone;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import io.atrium.vmm.qemu.VmSpec;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A clone has exactly its template's devices: the guest agent channel is part of key and spec; so is whether it gets
 * the (hot-plugged) vdagent port.
 */
class TemplateTest {

    private static final Path IMAGE = Path.of("/data/images/x-0123456789abcdef0123");
    private static final ResolvedAccelerator TCG = ResolvedAccelerator.tcg("test");

    private static GuestImage image(boolean guestAgent) {
        return new GuestImage(IMAGE.resolve("vmlinuz"), IMAGE.resolve("initrd.img"), IMAGE.resolve("golden.qcow2"),
                "x-0123456789abcdef0123", "root=/dev/vda", "x-desktop", 256, "tb-size=64", "ready", guestAgent,
                guestAgent);
    }

    private static String key(boolean guestAgent) {
        GuestImage image = image(guestAgent);
        return InstantClones.key(image, "x-desktop", 1, 256, TCG, "tb-size=64", image.appendFor("atrium-golden"),
                guestAgent, guestAgent);
    }

    @Test
    void theGuestAgentChannelIsPartOfTheKey() {
        assertThat(key(true)).isEqualTo(key(true)).startsWith("x-0123456789abcd-").hasSize(16 + 1 + 12);
        assertThat(key(true)).isNotEqualTo(key(false));
    }

    @Test
    void theVdagentIsPartOfTheKeyAndNeedsTheGuestAgentChannel() {
        GuestImage image = image(true);
        String without = InstantClones.key(image, "x-desktop", 1, 256, TCG, "tb-size=64",
                image.appendFor("atrium-golden"), true, false);
        assertThat(key(true)).isNotEqualTo(without);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new GuestImage(IMAGE.resolve("vmlinuz"),
                IMAGE.resolve("initrd.img"), IMAGE.resolve("golden.qcow2"), "x-1", "root=/dev/vda", "x-desktop", 256,
                "", "ready", false, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCloneSpecHasTheTemplatesGuestAgentChannel() {
        for (boolean guestAgent : new boolean[] {true, false}) {
            Template template = new Template(key(guestAgent), image(guestAgent), Path.of("/data/templates/k"), 1, 256,
                    TCG, "tb-size=64", "root=/dev/vda atrium.hostname=atrium-golden", "atrium-golden", guestAgent,
                    guestAgent);
            VmSpec spec = template.cloneSpec("desk-1", "52:54:00:00:00:01", Path.of("/data/run/desk-1"));
            assertThat(spec.guestAgent()).isEqualTo(guestAgent);
            assertThat(spec.vdagent()).isEqualTo(guestAgent);
            assertThat(spec.incoming()).isTrue();
            assertThat(spec.qgaSocket()).isEqualTo(Path.of("/data/run/desk-1/qga.sock"));
        }
    }
}
