package io.atrium.vmm.library;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.Firmware;
import io.atrium.vmm.clone.GuestReadiness;
import io.atrium.vmm.clone.InstantClones;
import io.atrium.vmm.clone.Template;
import io.atrium.vmm.disk.Disks;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.qga.QgaExecResult;
import io.atrium.vmm.testing.DebianDiskImage;
import io.atrium.vmm.testing.QemuFixture;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The disk-boot Debian test image as the library keeps it (uploaded as qcow2, validated, converted), booted from its
 * own disk under OVMF (UEFI) to its first real frame, the guest reporting the firmware it runs under. Under SeaBIOS
 * (BIOS) it boots in {@code io.atrium.vmm.host.ImageHostIntegrationTest}, whose versions are BIOS, with its instant
 * clones. Building the image takes minutes
 * (debootstrap) the first time, so this runs with {@code -Datrium.test.disk-image=true} (on in {@code .ci/test}).
 */
@EnabledIfSystemProperty(named = "atrium.test.disk-image", matches = "true")
class DiskBootIntegrationTest {

    @RegisterExtension
    static final QemuFixture qemu = new QemuFixture(Duration.ofMinutes(4));
    static final Duration BOOT = Duration.ofMinutes(4);
    static LibraryStore store;

    @BeforeAll
    static void importTheTestImage() throws Exception {
        Path qcow2 = DebianDiskImage.shared().qcow2(DebianDiskImage.V1);
        store = qemu.host().library();
        for (Firmware firmware : List.of(Firmware.UEFI)) {
            String id = "debian-v1-" + firmware.name().toLowerCase();
            if (store.find(id).isPresent()) {
                continue;
            }
            try (InputStream in = Files.newInputStream(qcow2)) {
                store.receive("up-" + id, 0, in);
            }
            store.importStaged(id, "debian", "up-" + id, DiskFormat.QCOW2, firmware, DebianDiskImage.MEMORY_MB);
        }
    }

    @Test
    void bootsFromItsOwnDiskUnderOvmf() throws Exception {
        for (Firmware firmware : List.of(Firmware.UEFI)) {
            LibraryStore.StoredVersion v = store.find("debian-v1-" + firmware.name().toLowerCase()).orElseThrow();
            GuestImage image = store.guestImage(v, true);
            String name = "disk-" + firmware.name().toLowerCase();
            VmSpec spec = qemu.host().specFor(image, name).build();
            Disks.createLinkedClone(v.golden(), spec.disk());
            if (spec.efiVars() != null) {
                Disks.createVarStore(image.efiVars(), spec.efiVars());
            }
            QemuVm vm = qemu.start(spec);
            GuestReadiness.Report up = GuestReadiness.await(vm, true, BOOT);
            System.out.printf("%s: guest agent after %d ms, first real frame after %d ms (%d firmware screens)%n",
                    firmware, up.agentAfter().toMillis(), up.frameAfter().toMillis(), up.firmwareScreens());
            assertThat(up.agent()).isTrue();
            assertThat(up.firmwareScreens()).isPositive();
            try (QgaClient qga = QgaClient.connect(spec.qgaSocket(), Duration.ofSeconds(30))) {
                assertThat(qga.exec(List.of("cat", "/etc/atrium/version"), Duration.ofSeconds(30)).stdoutText())
                        .isEqualTo("v1\n");
                String efi = qga.exec(List.of("sh", "-c", "[ -d /sys/firmware/efi ] && echo uefi || echo bios"),
                        Duration.ofSeconds(30)).stdoutText().strip();
                assertThat(efi).isEqualTo(firmware == Firmware.UEFI ? "uefi" : "bios");
            }
            assertThat(bluePixels(up.frame())).as("the v1 banner is blue").isGreaterThan(2000);
            vm.close();
        }
    }

    static int bluePixels(byte[] png) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int bl = rgb & 0xff;
                // QEMU 7.2's PNG screendump swaps red and blue
                if ((bl > 120 && r < 80 && g < 80) || (r > 120 && bl < 80 && g < 80)) {
                    n++;
                }
            }
        }
        return n;
    }
}
