package io.atrium.vmm.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The X desktop image is cached by its recipe: same inputs, same directory; any change, a new one. */
class XDesktopImageRecipeTest {

    @Test
    void recipeHashIsStableAndCoversTheTemplates() {
        Map<String, byte[]> templates = XDesktopImageBuilder.templates();
        String hash = XDesktopImageBuilder.recipeHash(templates);
        assertThat(hash).matches("x-[0-9a-f]{64}").isEqualTo(XDesktopImageBuilder.recipeHash(XDesktopImageBuilder.templates()));
        Map<String, byte[]> changed = new LinkedHashMap<>(templates);
        changed.put("x-desktop/xsession", "exec jwm\n".getBytes(StandardCharsets.UTF_8));
        assertThat(XDesktopImageBuilder.recipeHash(changed)).isNotEqualTo(hash);
        assertThat(templates).containsKey("console/agent");
    }

    @Test
    void imageCarriesItsVmSettings() {
        GuestImage image = XDesktopImageBuilder.image(java.nio.file.Path.of("/tmp/x"), "x-1");
        assertThat(image.name()).isEqualTo(GuestImages.X_DESKTOP);
        assertThat(image.memoryMb()).isGreaterThanOrEqualTo(256);
        assertThat(image.tcgOptions()).isEqualTo("tb-size=64");
        assertThat(image.appendFor("desk-1")).contains("root=/dev/vda").endsWith("atrium.hostname=desk-1");
        // it runs qemu-ga, so its VMs get the guest agent channel
        assertThat(image.guestAgent()).isTrue();
        assertThat(XDesktopImageBuilder.PACKAGES).contains("qemu-guest-agent", "util-linux-extra");
        assertThat(new String(XDesktopImageBuilder.templates().get("x-desktop/atrium-init"), StandardCharsets.UTF_8))
                .contains("/usr/sbin/qemu-ga --method=virtio-serial --path=\"$qga_port\"")
                .contains("qga_port=/dev/virtio-ports/org.qemu.guest_agent.0")
                .contains("log \"qemu-ga started on $qga_port");
        assertThat(GuestImage.GUEST_AGENT_STARTED).isEqualTo("atrium-init: qemu-ga started on "
                + "/dev/virtio-ports/org.qemu.guest_agent.0");
    }
}
