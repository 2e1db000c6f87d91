package io.atrium.vmm.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.vmm.VmmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DisksTest {

    @TempDir
    Path dir;

    @Test
    void createsAndDeletesLinkedClone() throws Exception {
        Path golden = dir.resolve("golden.qcow2");
        Process p = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", golden.toString(), "16M").start();
        assertThat(p.waitFor()).isZero();
        Files.setPosixFilePermissions(golden, PosixFilePermissions.fromString("r--r--r--"));
        Path overlay = dir.resolve("vm/disk.qcow2");

        long start = System.nanoTime();
        Disks.createLinkedClone(golden, overlay);
        System.out.printf("linked clone took %d ms%n", (System.nanoTime() - start) / 1_000_000);

        Process info = new ProcessBuilder("qemu-img", "info", overlay.toString()).redirectErrorStream(true).start();
        String text = new String(info.getInputStream().readAllBytes());
        assertThat(text).contains("backing file: " + golden).contains("file format: qcow2");
        assertThatThrownBy(() -> Disks.createLinkedClone(golden, overlay)).isInstanceOf(VmmException.class)
                .hasMessageContaining("already exists");
        Disks.delete(overlay);
        assertThat(overlay).doesNotExist();
    }

    @Test
    void qemuImgErrorsBecomeVmmExceptions() throws Exception {
        Path notQcow = dir.resolve("golden.qcow2");
        Files.writeString(notQcow, "not an image");
        assertThatThrownBy(() -> Disks.createLinkedClone(notQcow, dir.resolve("o.qcow2")))
                .isInstanceOf(VmmException.class).hasMessageContaining("qemu-img");
        assertThatThrownBy(() -> Disks.createLinkedClone(dir.resolve("missing"), dir.resolve("o2.qcow2")))
                .isInstanceOf(VmmException.class).hasMessageContaining("does not exist");
    }
}
