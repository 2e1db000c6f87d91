package io.atrium.vmm.testing;

import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.ValidationRule;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Crafted hostile disk images, built here with qemu-img (never downloaded), for tests that upload them: each one
 * breaks one validation rule, and most point at a host file whose bytes {@code qemu-img convert} would copy into
 * the output.
 */
public final class HostileImages {

    /**
     * One hostile file.
     *
     * @param file    where it is
     * @param claimed the format it is uploaded as
     * @param rule    the rule it must be refused by
     */
    public record Fixture(String name, Path file, DiskFormat claimed, ValidationRule rule) {
    }

    private HostileImages() {
    }

    /**
     * Builds every fixture in {@code dir}; the host file they point at is {@code dir/host-secret}.
     *
     * @param bombBytes how far the compression bomb expands (above the host's disk size limit)
     */
    public static Map<String, Fixture> build(Path dir, long bombBytes) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path secret = dir.resolve("host-secret");
        Files.writeString(secret, "host secret: never copy me\n".repeat(100));
        Map<String, Fixture> all = new LinkedHashMap<>();

        Path backing = dir.resolve("backing.qcow2");
        qemuImg("create", "-f", "qcow2", "-b", secret.toString(), "-F", "raw", backing.toString(), "1M");
        all.put("backing", new Fixture("a qcow2 whose backing file is a host file", backing, DiskFormat.QCOW2,
                ValidationRule.BACKING_FILE));

        Path dataFile = dir.resolve("data-file.qcow2");
        qemuImg("create", "-f", "qcow2", "-o", "data_file=" + dir.resolve("data.raw") + ",data_file_raw=on",
                dataFile.toString(), "1M");
        all.put("data-file", new Fixture("a qcow2 with an external data file", dataFile, DiskFormat.QCOW2,
                ValidationRule.DATA_FILE));

        Path json = dir.resolve("json.qcow2");
        qemuImg("create", "-f", "qcow2", "-u", "-b", "json:{\"driver\":\"raw\",\"file\":{\"driver\":\"file\","
                + "\"filename\":\"" + secret + "\"}}", "-F", "raw", json.toString(), "1M");
        all.put("json", new Fixture("a qcow2 with a json: backing name", json, DiskFormat.QCOW2,
                ValidationRule.JSON_FILENAME));

        Path flat = dir.resolve("flat.vmdk");
        Files.writeString(flat, "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n"
                + "createType=\"monolithicFlat\"\n\n# Extent description\nRW 4 FLAT \"" + secret + "\" 0\n");
        all.put("flat-vmdk", new Fixture("a flat VMDK whose extent is a host file", flat, DiskFormat.VMDK,
                ValidationRule.VMDK_TYPE));

        Path other = dir.resolve("other.vmdk");
        qemuImg("create", "-f", "vmdk", "-o", "subformat=streamOptimized", other.toString(), "1M");
        Path extent = dir.resolve("extent.vmdk");
        Files.writeString(extent, "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n"
                + "createType=\"streamOptimized\"\n\n# Extent description\nRW 2048 SPARSE \"" + other + "\"\n");
        all.put("vmdk-extent", new Fixture("a VMDK descriptor whose extent is another file", extent, DiskFormat.VMDK,
                ValidationRule.VMDK_EXTENT));

        Path rawQcow2 = dir.resolve("raw-holding-qcow2.img");
        qemuImg("create", "-f", "qcow2", "-b", secret.toString(), "-F", "raw", rawQcow2.toString(), "1M");
        all.put("raw-qcow2", new Fixture("a raw file holding a qcow2 header", rawQcow2, DiskFormat.RAW,
                ValidationRule.FORMAT_MISMATCH));

        Path huge = dir.resolve("huge.qcow2");
        qemuImg("create", "-f", "qcow2", huge.toString(), "1P");
        all.put("1-pib", new Fixture("a 1 PiB virtual size", huge, DiskFormat.QCOW2, ValidationRule.VIRTUAL_SIZE));

        Path raw = dir.resolve("bomb.raw");
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte) 0x5a);
        try (OutputStream out = Files.newOutputStream(raw)) {
            for (long left = bombBytes; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(left, chunk.length));
            }
        }
        Path bomb = dir.resolve("bomb.qcow2");
        qemuImg("convert", "-c", "-m", "8", "-W", "-f", "raw", "-O", "qcow2", raw.toString(), bomb.toString());
        Files.delete(raw);
        all.put("bomb", new Fixture("a compression bomb", bomb, DiskFormat.QCOW2, ValidationRule.EXPANDED_SIZE));
        return all;
    }

    private static void qemuImg(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("qemu-img"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", argv) + ": " + out);
        }
    }
}
