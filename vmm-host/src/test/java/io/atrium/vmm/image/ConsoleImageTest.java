package io.atrium.vmm.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.testing.QemuFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ConsoleImageTest {

    @Test
    void buildsOnceAndReusesTheCache() throws Exception {
        VmmProperties properties = VmmProperties.defaults(QemuFixture.sharedImageDataDir());
        long t0 = System.nanoTime();
        GuestImage first = new GuestImages(properties).console();
        long firstMs = (System.nanoTime() - t0) / 1_000_000;

        long t1 = System.nanoTime();
        GuestImage second = new GuestImages(properties).console();
        long secondMs = (System.nanoTime() - t1) / 1_000_000;
        System.out.printf("console image %s: first call %d ms, cached call %d ms%n", first.hash(), firstMs, secondMs);

        assertThat(second).isEqualTo(first);
        assertThat(secondMs).isLessThan(3000);
        assertThat(first.directory()).isEqualTo(properties.imagesDir().resolve(first.hash()));
        assertThat(first.hash()).matches("[0-9a-f]{64}");
        assertThat(first.kernel()).isRegularFile();
        assertThat(first.initrd()).isRegularFile();
        assertThat(Files.getPosixFilePermissions(first.goldenDisk()))
                .isEqualTo(PosixFilePermissions.fromString("r--r--r--"));
        assertThat(first.appendFor("desk-1"))
                .isEqualTo("console=ttyS0,115200 console=tty0 quiet loglevel=3 atrium.hostname=desk-1");
        // the busybox guest has no QEMU guest agent, so its VMs get no channel for one
        assertThat(first.guestAgent()).isFalse();

        JsonNode manifest = JsonMapper.builder().build().readTree(first.manifest().toFile());
        assertThat(manifest.path("hash").asString()).isEqualTo(first.hash());
        assertThat(manifest.path("kernelPackage").asString()).startsWith("linux-image-").endsWith(".deb");
        List<String> modules = new ArrayList<>();
        manifest.path("modules").forEach(m -> modules.add(m.asString()));
        // dependency order: every module after the ones it needs
        assertThat(modules).contains("virtio_pci", "virtio_blk", "button", "evdev");
        assertThat(modules.indexOf("virtio_ring")).isLessThan(modules.indexOf("virtio"));
        assertThat(modules.indexOf("virtio")).isLessThan(modules.indexOf("virtio_pci"));
        assertThat(modules.indexOf("virtio")).isLessThan(modules.indexOf("virtio_blk"));

        // the initramfs is a gzip'd newc cpio the host's cpio can list
        Process list = new ProcessBuilder("sh", "-c", "gzip -dc '" + first.initrd() + "' | cpio -it --quiet")
                .redirectErrorStream(true).start();
        String listing = new String(list.getInputStream().readAllBytes());
        assertThat(list.waitFor()).isZero();
        assertThat(listing.lines().toList()).contains("init", "bin/busybox", "bin/sh", "sbin/init", "etc/inittab",
                "etc/profile", "etc/acpi/PWRF/00000080", "etc/atrium/modules", "lib/modules/virtio_blk.ko",
                "dev/console");
    }

    @Test
    void concurrentBuildersProduceOneImage(@TempDir Path dataDir) throws Exception {
        // share the downloaded kernel .deb with the cached test data to stay offline-fast
        Path downloads = QemuFixture.sharedImageDataDir().resolve("downloads");
        new GuestImages(VmmProperties.defaults(QemuFixture.sharedImageDataDir())).console();
        Files.createDirectories(dataDir);
        Files.createSymbolicLink(dataDir.resolve("downloads"), downloads);
        VmmProperties properties = VmmProperties.defaults(dataDir);

        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<CompletableFuture<GuestImage>> builds = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                builds.add(CompletableFuture.supplyAsync(() -> new GuestImages(properties).console(), pool));
            }
            GuestImage image = builds.getFirst().join();
            for (CompletableFuture<GuestImage> build : builds) {
                assertThat(build.join()).isEqualTo(image);
            }
            try (var entries = Files.list(properties.imagesDir())) {
                assertThat(entries.map(p -> p.getFileName().toString()).filter(n -> !n.equals(".lock")))
                        .containsExactly(image.hash());
            }
            // reproducible: the same inputs give byte-identical kernel, initramfs and golden disk
            GuestImage shared = new GuestImages(VmmProperties.defaults(QemuFixture.sharedImageDataDir())).console();
            assertThat(image.hash()).isEqualTo(shared.hash());
            assertThat(Files.mismatch(image.initrd(), shared.initrd())).isEqualTo(-1);
            assertThat(Files.mismatch(image.goldenDisk(), shared.goldenDisk())).isEqualTo(-1);
        } finally {
            pool.shutdownNow();
        }
    }
}
