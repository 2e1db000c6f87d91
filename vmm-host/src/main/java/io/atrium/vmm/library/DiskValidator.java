package io.atrium.vmm.library;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.ValidationRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Validation of uploaded disks: an uploaded file is hostile until proven otherwise.
 *
 * <ol>
 *   <li>{@link HeaderCheck} reads the header in Java: the bytes must be the claimed format (never probed), and a
 *       qcow2 or VMDK that would make qemu open another file (backing file, external data file, {@code json:} name,
 *       VMDK kind or extent) is refused before qemu-img runs at all;</li>
 *   <li>{@code qemu-img info -f <claimed> --output=json} (under {@code prlimit} and a timeout, like every qemu-img
 *       call here) must agree: the claimed format, no backing file, no data file, the allowed VMDK kind with the file
 *       itself as its only extent, a virtual size within the cap;</li>
 *   <li>{@code qemu-img check} for qcow2 and VMDK (corruption is refused, leaks are noted);</li>
 *   <li>{@link #convert}: {@code qemu-img convert -f <claimed> -O qcow2} with the output size limited
 *       ({@code prlimit --fsize}: a compression bomb stops there), then the output is validated again as qcow2, and
 *       made read-only (0444).</li>
 * </ol>
 * An ISO is validated (an ISO 9660 volume, within the caps) but never converted.
 *
 * <p>Every refusal is an {@link ImageRefusedException} naming its {@link ValidationRule}.
 */
public final class DiskValidator {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final LimitedQemuImg qemuImg;
    private final LibraryProperties limits;

    public DiskValidator(String qemuImg, LibraryProperties limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.qemuImg = new LimitedQemuImg(qemuImg, limits);
    }

    /**
     * What validation found.
     *
     * @param format      the format (as claimed and found)
     * @param virtualSize the disk's size as the guest sees it
     * @param fileSize    the file's size on the host
     * @param log         what was checked, for the version's log
     */
    public record DiskFacts(DiskFormat format, long virtualSize, long fileSize, List<String> log) {
        public DiskFacts {
            log = List.copyOf(log);
        }
    }

    /**
     * Validates {@code file} as {@code claimed}.
     *
     * @throws ImageRefusedException naming the broken rule
     */
    public DiskFacts validate(Path file, DiskFormat claimed) {
        Objects.requireNonNull(claimed, "claimed");
        Path path = file.toAbsolutePath().normalize();
        long cap = limits.maxVirtualSize().toBytes();
        HeaderCheck.Facts header = HeaderCheck.check(path, claimed, cap);
        List<String> log = new ArrayList<>(header.notes());
        long fileSize = size(path);
        if (claimed == DiskFormat.ISO) {
            log.add("ISO 9660 medium of " + HeaderCheck.human(fileSize) + ": attached read-only, never converted");
            return new DiskFacts(claimed, fileSize, fileSize, log);
        }
        JsonNode info = info(path, claimed);
        long virtualSize = checkInfo(info, path, claimed, cap);
        log.add("qemu-img info -f " + claimed.id() + ": " + claimed.id() + ", virtual size " + virtualSize
                + " bytes, no backing file, no data file");
        if (claimed != DiskFormat.RAW) {
            log.add(check(path, claimed));
        }
        return new DiskFacts(claimed, virtualSize, fileSize, log);
    }

    /**
     * Validates {@code source}, converts it to a qcow2 {@code target} (which must not exist), validates the result
     * again and makes it read-only. On any failure {@code target} is removed.
     *
     * @throws ImageRefusedException naming the broken rule
     * @throws IllegalArgumentException for an ISO (never converted)
     */
    public DiskFacts convert(Path source, DiskFormat claimed, Path target) {
        if (claimed == DiskFormat.ISO) {
            throw new IllegalArgumentException("an ISO is attached as it is, never converted");
        }
        DiskFacts in = validate(source, claimed);
        Path out = target.toAbsolutePath().normalize();
        if (Files.exists(out)) {
            throw new VmmException("conversion target " + out + " already exists");
        }
        List<String> log = new ArrayList<>(in.log());
        long start = System.nanoTime();
        try {
            qemuImg.runOk("convert", limits.maxDiskSize().toBytes(), "convert", "-q", "-f", claimed.id(), "-O",
                    "qcow2", "-o", "compat=1.1", source.toAbsolutePath().normalize().toString(), out.toString());
            log.add("qemu-img convert -f " + claimed.id() + " -O qcow2: " + (System.nanoTime() - start) / 1_000_000
                    + " ms, " + HeaderCheck.human(size(out)));
            DiskFacts converted = validate(out, DiskFormat.QCOW2);
            if (converted.virtualSize() != in.virtualSize()) {
                throw new ImageRefusedException(ValidationRule.CORRUPT, "the converted disk has another size ("
                        + converted.virtualSize() + " instead of " + in.virtualSize() + " bytes)");
            }
            log.add("after conversion: " + String.join("; ", converted.log().subList(1, converted.log().size())));
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("r--r--r--"));
            log.add("golden disk made read-only (0444)");
            return new DiskFacts(DiskFormat.QCOW2, converted.virtualSize(), converted.fileSize(), log);
        } catch (RuntimeException | IOException e) {
            try {
                Files.deleteIfExists(out);
            } catch (IOException ignored) {
                // reported below
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new VmmException("cannot finish " + out + ": " + e.getMessage(), e);
        }
    }

    private JsonNode info(Path path, DiskFormat claimed) {
        String json = qemuImg.runOk("info", 0, "info", "-f", claimed.id(), "--output=json", path.toString()).stdout();
        try {
            return JSON.readTree(json);
        } catch (JacksonException e) {
            throw new ImageRefusedException(ValidationRule.CORRUPT, "qemu-img info gave no readable answer");
        }
    }

    /** The same rules again, from qemu-img's view. Returns the virtual size. */
    private static long checkInfo(JsonNode info, Path path, DiskFormat claimed, long cap) {
        String format = info.path("format").asString("");
        if (!format.equals(claimed.id())) {
            throw new ImageRefusedException(ValidationRule.FORMAT_MISMATCH, "qemu-img reads it as '"
                    + HeaderCheck.safe(format) + "'");
        }
        for (String field : List.of("backing-filename", "full-backing-filename")) {
            if (info.has(field)) {
                String name = info.path(field).asString("");
                throw new ImageRefusedException(HeaderCheck.isJson(name) ? ValidationRule.JSON_FILENAME
                        : ValidationRule.BACKING_FILE, "qemu-img reports the backing file '"
                        + HeaderCheck.safe(name) + "'");
            }
        }
        JsonNode data = info.path("format-specific").path("data");
        if (data.has("data-file")) {
            throw new ImageRefusedException(ValidationRule.DATA_FILE, "qemu-img reports an external data file");
        }
        if (info.path("encrypted").asBoolean(false) || data.has("encrypt")) {
            throw new ImageRefusedException(ValidationRule.UNSUPPORTED_FEATURE, "it is encrypted");
        }
        if (data.path("corrupt").asBoolean(false)) {
            throw new ImageRefusedException(ValidationRule.CORRUPT, "qemu marked it corrupt");
        }
        if (claimed == DiskFormat.VMDK) {
            String type = data.path("create-type").asString("");
            if (!HeaderCheck.VMDK_TYPES.contains(type)) {
                throw new ImageRefusedException(ValidationRule.VMDK_TYPE, "qemu-img reports createType '"
                        + HeaderCheck.safe(type) + "'");
            }
            JsonNode extents = data.path("extents");
            if (!extents.isArray() || extents.size() != 1
                    || !extents.get(0).path("filename").asString("").equals(path.toString())) {
                throw new ImageRefusedException(ValidationRule.VMDK_EXTENT, "qemu-img reports extents other than "
                        + "the file itself");
            }
        }
        JsonNode size = info.path("virtual-size");
        if (!size.canConvertToLong() || size.asLong() < 0) {
            throw new ImageRefusedException(ValidationRule.CORRUPT, "qemu-img reports no virtual size");
        }
        if (size.asLong() > cap) {
            throw new ImageRefusedException(ValidationRule.VIRTUAL_SIZE, "qemu-img reports a virtual size of "
                    + size.asLong() + " bytes (" + HeaderCheck.human(size.asLong()) + "); the limit is "
                    + HeaderCheck.human(cap));
        }
        return size.asLong();
    }

    /** {@code qemu-img check}: 0 clean, 3 only leaked clusters (harmless), anything else refused. */
    private String check(Path path, DiskFormat claimed) {
        var result = qemuImg.run("check", 0, "check", "-f", claimed.id(), "--output=json", path.toString());
        return switch (result.exitCode()) {
            case 0 -> "qemu-img check: no errors";
            case 3 -> "qemu-img check: leaked clusters only (harmless; dropped by the conversion)";
            case 63 -> "qemu-img check: not supported for " + claimed.id();
            case 2 -> throw new ImageRefusedException(ValidationRule.CORRUPT, "qemu-img check found corruption");
            default -> throw new ImageRefusedException(ValidationRule.CORRUPT, "qemu-img check failed: "
                    + LimitedQemuImg.lastLine(result.detail()));
        };
    }

    private static long size(Path path) {
        try {
            return Files.size(path);
        } catch (IOException e) {
            throw new VmmException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
