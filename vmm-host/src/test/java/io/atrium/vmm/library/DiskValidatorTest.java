package io.atrium.vmm.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.ValidationRule;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;

/**
 * One test per validation rule, each with a crafted hostile file built here with qemu-img (never downloaded), plus
 * the files that must pass. Every refusal must name its rule, and a refused conversion must leave no output behind:
 * {@code qemu-img convert} would otherwise copy the host file a backing file or extent points at.
 */
class DiskValidatorTest {

    @TempDir
    static Path dir;
    /** A host file that hostile images point at; its bytes must never end up in a converted disk. */
    static Path hostFile;

    static final LibraryProperties LIMITS = LibraryProperties.defaults()
            .withMaxVirtualSize(DataSize.ofGigabytes(64)).withMaxDiskSize(DataSize.ofMegabytes(32));
    final DiskValidator validator = new DiskValidator("qemu-img", LIMITS);

    @BeforeAll
    static void hostFile() throws IOException {
        hostFile = dir.resolve("host-secret");
        Files.writeString(hostFile, "host secret: never copy me\n".repeat(100));
    }

    // ------------------------------------------------------------------ files that pass

    @Test
    void aQcow2WithDataIsConvertedToAReadOnlyQcow2() throws Exception {
        Path raw = pattern("good.raw", 4 << 20, (byte) 0x42);
        Path qcow2 = dir.resolve("good.qcow2");
        qemuImg("convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());

        DiskValidator.DiskFacts facts = validator.convert(qcow2, DiskFormat.QCOW2, dir.resolve("good-out.qcow2"));

        assertThat(facts.format()).isEqualTo(DiskFormat.QCOW2);
        assertThat(facts.virtualSize()).isEqualTo(4 << 20);
        Path out = dir.resolve("good-out.qcow2");
        assertThat(Files.getPosixFilePermissions(out)).isEqualTo(PosixFilePermissions.fromString("r--r--r--"));
        assertThat(qemuImg("info", "-f", "qcow2", out.toString())).doesNotContain("backing file");
        Path back = dir.resolve("good-back.raw");
        qemuImg("convert", "-f", "qcow2", "-O", "raw", out.toString(), back.toString());
        assertThat(Files.mismatch(raw, back)).isEqualTo(-1);
        assertThat(facts.log()).anyMatch(l -> l.startsWith("qemu-img info")).anyMatch(l -> l.contains("0444"));
    }

    @Test
    void rawAndSingleFileVmdksPass() throws Exception {
        Path raw = pattern("disk.raw", 1 << 20, (byte) 7);
        assertThat(validator.convert(raw, DiskFormat.RAW, dir.resolve("raw-out.qcow2")).virtualSize())
                .isEqualTo(1 << 20);
        for (String subformat : List.of("monolithicSparse", "streamOptimized")) {
            Path vmdk = dir.resolve(subformat + ".vmdk");
            qemuImg("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=" + subformat, raw.toString(),
                    vmdk.toString());
            assertThat(validator.convert(vmdk, DiskFormat.VMDK, dir.resolve(subformat + "-out.qcow2")).virtualSize())
                    .isEqualTo(1 << 20);
        }
    }

    @Test
    void anIsoIsValidatedButNeverConverted() throws Exception {
        Path content = Files.createDirectories(dir.resolve("iso-content"));
        Files.writeString(content.resolve("README"), "install me\n");
        Path iso = dir.resolve("install.iso");
        run("genisoimage", "-quiet", "-V", "ATRIUM", "-o", iso.toString(), content.toString());

        assertThat(validator.validate(iso, DiskFormat.ISO).format()).isEqualTo(DiskFormat.ISO);
        assertThatThrownBy(() -> validator.convert(iso, DiskFormat.ISO, dir.resolve("iso.qcow2")))
                .isInstanceOf(IllegalArgumentException.class);
        Path qcow2 = dir.resolve("not-an-iso.qcow2");
        qemuImg("create", "-f", "qcow2", qcow2.toString(), "1M");
        assertRefused(() -> validator.validate(qcow2, DiskFormat.ISO), ValidationRule.FORMAT_MISMATCH);
    }

    // ------------------------------------------------------------------ one test per rule

    @Test
    void formatMismatch_aRawFileHoldingAQcow2HeaderIsRefused() throws Exception {
        // Probing would call this qcow2 and follow its backing file; claimed raw, it is refused for what it holds.
        Path evil = dir.resolve("raw-with-qcow2-header.img");
        qemuImg("create", "-f", "qcow2", "-b", hostFile.toString(), "-F", "raw", evil.toString(), "1M");
        assertRefused(() -> validator.convert(evil, DiskFormat.RAW, dir.resolve("mismatch.qcow2")),
                ValidationRule.FORMAT_MISMATCH, "qcow2");
        assertThat(dir.resolve("mismatch.qcow2")).doesNotExist();
        // and the other way round: raw bytes claimed as qcow2
        Path raw = pattern("plain.raw", 65536, (byte) 0);
        assertRefused(() -> validator.validate(raw, DiskFormat.QCOW2), ValidationRule.FORMAT_MISMATCH);
    }

    @Test
    void backingFile_aQcow2WhoseBackingFileIsAHostFileIsRefused() throws Exception {
        Path evil = dir.resolve("backing.qcow2");
        qemuImg("create", "-f", "qcow2", "-b", hostFile.toString(), "-F", "raw", evil.toString(), "1M");
        assertRefused(() -> validator.convert(evil, DiskFormat.QCOW2, dir.resolve("backing-out.qcow2")),
                ValidationRule.BACKING_FILE, hostFile.toString());
        assertThat(dir.resolve("backing-out.qcow2")).doesNotExist();
    }

    @Test
    void dataFile_aQcow2WithAnExternalDataFileIsRefused() throws Exception {
        Path evil = dir.resolve("data-file.qcow2");
        qemuImg("create", "-f", "qcow2", "-o", "data_file=" + dir.resolve("data.raw") + ",data_file_raw=on",
                evil.toString(), "1M");
        assertRefused(() -> validator.convert(evil, DiskFormat.QCOW2, dir.resolve("data-out.qcow2")),
                ValidationRule.DATA_FILE);
        assertThat(dir.resolve("data-out.qcow2")).doesNotExist();
    }

    @Test
    void jsonFilename_aJsonBackingNameIsRefused() throws Exception {
        Path evil = dir.resolve("json.qcow2");
        qemuImg("create", "-f", "qcow2", "-u", "-b", "json:{\"driver\":\"raw\",\"file\":{\"driver\":\"file\","
                + "\"filename\":\"" + hostFile + "\"}}", "-F", "raw", evil.toString(), "1M");
        assertRefused(() -> validator.convert(evil, DiskFormat.QCOW2, dir.resolve("json-out.qcow2")),
                ValidationRule.JSON_FILENAME);
    }

    @Test
    void vmdkType_aFlatVmdkWhoseExtentIsAHostFileIsRefused() throws Exception {
        Path evil = dir.resolve("flat.vmdk");
        Files.writeString(evil, """
                # Disk DescriptorFile
                version=1
                CID=12345678
                parentCID=ffffffff
                createType="monolithicFlat"

                # Extent description
                RW 4 FLAT "%s" 0
                """.formatted(hostFile));
        // What qemu-img convert would do with it: copy the host file.
        Path leaked = dir.resolve("leaked.raw");
        qemuImg("convert", "-f", "vmdk", "-O", "raw", evil.toString(), leaked.toString());
        assertThat(Files.readString(leaked, StandardCharsets.ISO_8859_1)).contains("host secret");

        assertRefused(() -> validator.convert(evil, DiskFormat.VMDK, dir.resolve("flat-out.qcow2")),
                ValidationRule.VMDK_TYPE, "monolithicFlat");
        assertThat(dir.resolve("flat-out.qcow2")).doesNotExist();
    }

    @Test
    void vmdkExtent_extentsThatAreNotTheFileItselfAreRefused() throws Exception {
        Path other = dir.resolve("other.vmdk");
        qemuImg("create", "-f", "vmdk", "-o", "subformat=streamOptimized", other.toString(), "1M");
        // An allowed kind in a descriptor file: its extents are other files.
        Path descriptor = dir.resolve("descriptor.vmdk");
        Files.writeString(descriptor, """
                # Disk DescriptorFile
                version=1
                CID=12345678
                parentCID=ffffffff
                createType="streamOptimized"

                # Extent description
                RW 2048 SPARSE "%s"
                """.formatted(other));
        assertRefused(() -> validator.validate(descriptor, DiskFormat.VMDK), ValidationRule.VMDK_EXTENT);

        // A sparse VMDK whose embedded descriptor names a host file as its extent.
        Path sparse = dir.resolve("embedded.vmdk");
        qemuImg("create", "-f", "vmdk", sparse.toString(), "1M");
        byte[] bytes = Files.readAllBytes(sparse);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        String extent = "RW 2048 SPARSE \"embedded.vmdk\"";
        int at = text.indexOf(extent);
        assertThat(at).isPositive();
        String replacement = "RW 2048 SPARSE \"" + hostFile + "\"";
        // the embedded descriptor is padded with NULs: the longer line takes some of the padding
        int nul = text.indexOf('\0', at);
        int delta = replacement.length() - extent.length();
        assertThat(text.substring(nul, nul + delta)).matches("\0+");
        byte[] out = (text.substring(0, at) + replacement + text.substring(at + extent.length(), nul)
                + text.substring(nul + delta)).getBytes(StandardCharsets.ISO_8859_1);
        assertThat(out).hasSize(bytes.length);
        Files.write(sparse, out);
        assertRefused(() -> validator.validate(sparse, DiskFormat.VMDK), ValidationRule.VMDK_EXTENT);
    }

    @Test
    void virtualSize_aOnePebibyteDiskIsRefused() throws Exception {
        Path huge = dir.resolve("huge.qcow2");
        qemuImg("create", "-f", "qcow2", huge.toString(), "1P");
        assertRefused(() -> validator.convert(huge, DiskFormat.QCOW2, dir.resolve("huge-out.qcow2")),
                ValidationRule.VIRTUAL_SIZE, "1.0 PiB");
    }

    @Test
    void expandedSize_aCompressionBombStopsAtTheDiskLimit() throws Exception {
        // 128 MiB of one byte value, compressed: a file of a few hundred KiB that expands to 128 MiB.
        Path raw = pattern("bomb.raw", 128 << 20, (byte) 0x5a);
        Path bomb = dir.resolve("bomb.qcow2");
        qemuImg("convert", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), bomb.toString());
        Files.delete(raw);
        assertThat(Files.size(bomb)).isLessThan(4 << 20);

        assertRefused(() -> validator.convert(bomb, DiskFormat.QCOW2, dir.resolve("bomb-out.qcow2")),
                ValidationRule.EXPANDED_SIZE, "32.0 MiB");
        assertThat(dir.resolve("bomb-out.qcow2")).doesNotExist();
    }

    @Test
    void resourceLimit_qemuImgPastItsTimeoutIsStopped() throws Exception {
        Path disk = dir.resolve("slow.qcow2");
        qemuImg("create", "-f", "qcow2", disk.toString(), "1M");
        DiskValidator impatient = new DiskValidator("qemu-img", LIMITS.withQemuImgTimeout(Duration.ofMillis(1)));
        assertRefused(() -> impatient.validate(disk, DiskFormat.QCOW2), ValidationRule.RESOURCE_LIMIT, "ran longer");
    }

    @Test
    void unsupportedFeature_anEncryptedQcow2IsRefused() throws Exception {
        Path encrypted = dir.resolve("encrypted.qcow2");
        qemuImg("create", "--object", "secret,id=sec0,data=atrium", "-f", "qcow2", "-o",
                "encrypt.format=luks,encrypt.key-secret=sec0", encrypted.toString(), "1M");
        assertRefused(() -> validator.validate(encrypted, DiskFormat.QCOW2), ValidationRule.UNSUPPORTED_FEATURE,
                "encrypted");
    }

    @Test
    void corrupt_aQcow2WithADamagedTableIsRefused() throws Exception {
        Path raw = pattern("c.raw", 1 << 20, (byte) 1);
        Path disk = dir.resolve("corrupt.qcow2");
        qemuImg("convert", "-f", "raw", "-O", "qcow2", raw.toString(), disk.toString());
        // point the L1 table (its offset is at byte 40) past the end of the file
        try (var ch = java.nio.channels.FileChannel.open(disk, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate(8).putLong(0, 1L << 40), 40);
        }
        assertRefused(() -> validator.validate(disk, DiskFormat.QCOW2), ValidationRule.CORRUPT);
    }

    // ------------------------------------------------------------------ helpers

    static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, ValidationRule rule,
            String... mentions) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ImageRefusedException.class, e -> {
            assertThat(e.rule()).isEqualTo(rule);
            assertThat(e.getMessage()).contains("(" + rule.name() + ")").contains(rule.title())
                    .doesNotContain("host secret");
            for (String mention : mentions) {
                assertThat(e.getMessage()).contains(mention);
            }
        });
    }

    static Path pattern(String name, int size, byte value) throws IOException {
        Path file = dir.resolve(name);
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, value);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int left = size; left > 0; left -= chunk.length) {
                out.write(chunk, 0, Math.min(left, chunk.length));
            }
        }
        return file;
    }

    static String qemuImg(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("qemu-img"));
        argv.addAll(List.of(args));
        return run(argv.toArray(String[]::new));
    }

    static String run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", argv) + ": " + out).isZero();
        return out;
    }
}
