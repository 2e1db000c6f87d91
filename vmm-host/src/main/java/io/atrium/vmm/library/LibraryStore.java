package io.atrium.vmm.library;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.Firmware;
import io.atrium.vmm.api.ValidationRule;
import io.atrium.vmm.disk.DirectoryCache;
import io.atrium.vmm.image.GuestImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The image library's files on this host, under {@code dataDir/library}:
 *
 * <pre>
 * library/
 *   staging/&lt;upload id&gt;.part      an upload being received (the name is the server's, never the client's)
 *   versions/&lt;version id&gt;/
 *     golden.qcow2                 the validated, converted disk, 0444 (disk versions)
 *     install.iso                  the validated ISO, 0444, attached read-only as a CD (ISO versions)
 *     efivars.fd                   UEFI variable store template, 0444 (UEFI disk versions)
 *     manifest.json                what it is (written last: a version without it does not exist)
 *     boot.json                    the boot test's result (whether the guest agent answered)
 * </pre>
 *
 * <p>Invariants: a staging file never grows past {@link LibraryProperties#maxUploadSize()} (the stream is cut off
 * and the file removed: {@link ValidationRule#QUOTA}); the upload is copied through a fixed buffer, never held in
 * memory; a staging file is removed once imported or refused; golden disks and ISOs are 0444 and only ever
 * backing files or read-only CDs. Ids are checked before they become paths.
 */
public final class LibraryStore {
    private static final Logger log = LoggerFactory.getLogger(LibraryStore.class);
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final String MANIFEST = "manifest.json";
    static final String BOOT = "boot.json";
    static final int BUFFER = 1 << 20;

    private final VmmProperties vmm;
    private final LibraryProperties limits;
    private final DiskValidator validator;
    /** SHA-256 state of uploads in progress, by upload id, with the number of bytes it has seen. */
    private final Map<String, Digesting> digests = new ConcurrentHashMap<>();

    private record Digesting(MessageDigest digest, long bytes) {
    }

    /**
     * A staged upload.
     *
     * @param uploadId the staging file's id
     * @param bytes    how many bytes it holds
     */
    public record Staged(String uploadId, long bytes) {
    }

    /**
     * A version kept on this host.
     *
     * @param versionId   its id (the broker's)
     * @param imageName   the library image it belongs to
     * @param format      {@link DiskFormat#QCOW2} for disks (converted), {@link DiskFormat#ISO} for media
     * @param firmware    what it boots under
     * @param memoryMb    its minimum memory
     * @param virtualSize the disk's (or ISO's) size
     * @param sha256      of the upload as received (empty for versions not made by an upload)
     * @param guestAgent  whether its boot test found the QEMU guest agent (false before a boot test)
     * @param bootTested  whether it passed a boot test on this host
     * @param directory   where its files are
     */
    public record StoredVersion(String versionId, String imageName, DiskFormat format, Firmware firmware, int memoryMb,
                                long virtualSize, String sha256, boolean guestAgent, boolean bootTested,
                                Path directory) {
        public Path golden() {
            return directory.resolve("golden.qcow2");
        }

        public Path iso() {
            return directory.resolve("install.iso");
        }

        public Path efiVars() {
            return directory.resolve("efivars.fd");
        }

        public boolean isDisk() {
            return format != DiskFormat.ISO;
        }
    }

    public LibraryStore(VmmProperties vmm, LibraryProperties limits) {
        this.vmm = Objects.requireNonNull(vmm, "vmm");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.validator = new DiskValidator(vmm.qemuImgBinary(), limits);
    }

    public LibraryProperties limits() {
        return limits;
    }

    public DiskValidator validator() {
        return validator;
    }

    /** {@code dataDir/library}. */
    public Path root() {
        return vmm.dataDir().resolve("library");
    }

    Path stagingDir() {
        return root().resolve("staging");
    }

    Path versionsDir() {
        return root().resolve("versions");
    }

    /** The staging file of an upload. */
    public Path stagingFile(String uploadId) {
        return stagingDir().resolve(requireId(uploadId, "upload id") + ".part");
    }

    // ------------------------------------------------------------------ staging

    /**
     * Appends {@code body} to the upload's staging file at {@code offset} (0 starts it; a resumed upload continues
     * where the file ends). Copies through a fixed buffer; when the file would pass the upload quota the stream is
     * cut off, the staging file removed and the upload refused.
     *
     * @throws ImageRefusedException {@link ValidationRule#QUOTA} beyond the quota
     * @throws IllegalArgumentException when {@code offset} is not where the staging file ends
     */
    public Staged receive(String uploadId, long offset, InputStream body) {
        Path file = stagingFile(uploadId);
        long quota = limits.maxUploadSize().toBytes();
        try {
            Files.createDirectories(stagingDir());
            if (offset == 0) {
                digests.remove(uploadId);
                Files.deleteIfExists(file);
            }
            long size = Files.exists(file) ? Files.size(file) : 0;
            if (offset != size) {
                throw new IllegalArgumentException("the upload continues at byte " + size + ", not at " + offset);
            }
            Digesting d = digests.get(uploadId);
            MessageDigest digest = d != null && d.bytes() == size ? d.digest() : digestOf(file, size);
            long total = size;
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                byte[] buffer = new byte[BUFFER];
                for (int n; (n = body.read(buffer)) >= 0; ) {
                    if (total + n > quota) {
                        out.close();
                        discardStaging(uploadId);
                        throw new ImageRefusedException(ValidationRule.QUOTA, "the upload passed "
                                + HeaderCheck.human(quota) + " and was cut off");
                    }
                    digest.update(buffer, 0, n);
                    ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                    total += n;
                }
            } finally {
                if (Files.exists(file)) {
                    digests.put(uploadId, new Digesting(digest, Files.size(file)));
                }
            }
            return new Staged(uploadId, total);
        } catch (IOException e) {
            throw new VmmException("upload " + uploadId + ": " + e.getMessage(), e);
        }
    }

    /** How many bytes the upload's staging file holds, if it exists. */
    public OptionalLong stagedBytes(String uploadId) {
        Path file = stagingFile(uploadId);
        try {
            return Files.exists(file) ? OptionalLong.of(Files.size(file)) : OptionalLong.empty();
        } catch (IOException e) {
            throw new VmmException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Removes the upload's staging file (if any). */
    public void discardStaging(String uploadId) {
        digests.remove(uploadId);
        try {
            Files.deleteIfExists(stagingFile(uploadId));
        } catch (IOException e) {
            throw new VmmException("cannot remove the staging file of " + uploadId + ": " + e.getMessage(), e);
        }
    }

    /** The SHA-256 of the whole staging file (from the digest kept while receiving, or read again). */
    String sha256(String uploadId) {
        Path file = stagingFile(uploadId);
        try {
            long size = Files.size(file);
            Digesting d = digests.get(uploadId);
            MessageDigest digest = d != null && d.bytes() == size ? (MessageDigest) d.digest().clone()
                    : digestOf(file, size);
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException | CloneNotSupportedException e) {
            throw new VmmException("cannot hash " + file + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ versions

    /**
     * What an import did.
     *
     * @param version the version now kept on this host
     * @param log     what was checked, for the version's log
     */
    public record Imported(StoredVersion version, List<String> log) {
    }

    /**
     * Validates the staged upload as {@code format} and keeps it as version {@code versionId}: a disk converted to a
     * read-only qcow2, an ISO as it is (read-only). The staging file is removed either way.
     *
     * @throws ImageRefusedException naming the rule it broke
     */
    public Imported importStaged(String versionId, String imageName, String uploadId, DiskFormat format,
                                 Firmware firmware, int memoryMb) {
        requireId(versionId, "version id");
        Path staging = stagingFile(uploadId);
        if (!Files.isRegularFile(staging)) {
            throw new VmmException("upload " + uploadId + " has no staged file");
        }
        try {
            String sha256 = sha256(uploadId);
            List<String> lines = new ArrayList<>();
            lines.add("received " + Files.size(staging) + " bytes, SHA-256 " + sha256);
            Path dir = DirectoryCache.ensure(versionsDir(), versionId, MANIFEST, "library version " + versionId, tmp -> {
                DiskValidator.DiskFacts facts;
                if (format == DiskFormat.ISO) {
                    facts = validator.validate(staging, DiskFormat.ISO);
                    Path iso = tmp.resolve("install.iso");
                    Files.move(staging, iso, StandardCopyOption.ATOMIC_MOVE);
                    Files.setPosixFilePermissions(iso, PosixFilePermissions.fromString("r--r--r--"));
                } else {
                    facts = validator.convert(staging, format, tmp.resolve("golden.qcow2"));
                }
                lines.addAll(facts.log());
                if (format != DiskFormat.ISO && firmware == Firmware.UEFI) {
                    copyReadOnly(limits.ovmfVars(), tmp.resolve("efivars.fd"));
                    lines.add("UEFI variable store from " + limits.ovmfVars().getFileName());
                }
                writeManifest(tmp, versionId, imageName, format == DiskFormat.ISO ? DiskFormat.ISO : DiskFormat.QCOW2,
                        format, firmware, memoryMb, facts.virtualSize(), sha256);
            });
            return new Imported(read(dir).orElseThrow(), lines);
        } catch (IOException e) {
            throw new VmmException("version " + versionId + ": " + e.getMessage(), e);
        } finally {
            discardStaging(uploadId);
        }
    }

    /**
     * Keeps an already validated, read-only qcow2 ({@code golden}, moved here) as version {@code versionId} (sealed
     * drafts). Its UEFI variable store (for {@link Firmware#UEFI}) is {@code efiVars} if given, else the firmware's.
     */
    public StoredVersion adopt(String versionId, String imageName, Path golden, Path efiVars, Firmware firmware,
                               int memoryMb, long virtualSize) {
        requireId(versionId, "version id");
        Path dir = DirectoryCache.ensure(versionsDir(), versionId, MANIFEST, "library version " + versionId, tmp -> {
            Files.move(golden, tmp.resolve("golden.qcow2"), StandardCopyOption.ATOMIC_MOVE);
            Files.setPosixFilePermissions(tmp.resolve("golden.qcow2"), PosixFilePermissions.fromString("r--r--r--"));
            if (firmware == Firmware.UEFI) {
                copyReadOnly(efiVars != null && Files.exists(efiVars) ? efiVars : limits.ovmfVars(),
                        tmp.resolve("efivars.fd"));
            }
            writeManifest(tmp, versionId, imageName, DiskFormat.QCOW2, DiskFormat.QCOW2, firmware, memoryMb,
                    virtualSize, "");
        });
        return read(dir).orElseThrow();
    }

    /** The version, if this host keeps it. */
    public Optional<StoredVersion> find(String versionId) {
        if (versionId == null || !ID.matcher(versionId).matches()) {
            return Optional.empty();
        }
        return read(versionsDir().resolve(versionId));
    }

    /** Records the boot test's outcome on this host (whether the guest agent answered). */
    public StoredVersion recordBootTest(String versionId, boolean guestAgent, long frameAfterMs) {
        StoredVersion v = find(versionId).orElseThrow(() -> new VmmException("no version " + versionId));
        ObjectNode boot = JSON.createObjectNode();
        boot.put("guestAgent", guestAgent);
        boot.put("frameAfterMs", frameAfterMs);
        boot.put("testedAt", Instant.now().toString());
        try {
            Path tmp = v.directory().resolve(BOOT + ".tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(boot) + "\n");
            Files.move(tmp, v.directory().resolve(BOOT), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new VmmException("version " + versionId + ": " + e.getMessage(), e);
        }
        return find(versionId).orElseThrow();
    }

    /** Removes the version's files (its templates are the caller's). */
    public void delete(String versionId) {
        Path dir = versionsDir().resolve(requireId(versionId, "version id"));
        if (!Files.exists(dir)) {
            return;
        }
        try {
            // make it writable again, then remove it
            for (String f : List.of("golden.qcow2", "install.iso", "efivars.fd")) {
                Path p = dir.resolve(f);
                if (Files.exists(p)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
                }
            }
            Files.deleteIfExists(dir.resolve(MANIFEST));
        } catch (IOException e) {
            throw new VmmException("cannot remove version " + versionId + ": " + e.getMessage(), e);
        }
        DirectoryCache.deleteTree(dir);
        log.info("library version {} removed", versionId);
    }

    /**
     * The version as a bootable image: a disk that boots through its firmware, with the guest agent channel when
     * its boot test found an agent ({@code withAgentChannel} forces the channel, for the boot test itself).
     */
    public GuestImage guestImage(StoredVersion v, boolean withAgentChannel) {
        if (!v.isDisk()) {
            throw new VmmException("version " + v.versionId() + " is an ISO, not a bootable disk");
        }
        boolean agent = withAgentChannel || v.guestAgent();
        return GuestImage.diskBoot(v.imageName(), v.versionId(), v.golden(), v.memoryMb(), v.firmware(),
                limits.ovmfCode(), v.efiVars(), agent);
    }

    // ------------------------------------------------------------------ internals

    private static void writeManifest(Path dir, String versionId, String imageName, DiskFormat stored,
                                      DiskFormat uploaded, Firmware firmware, int memoryMb, long virtualSize,
                                      String sha256) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("version", versionId);
        m.put("image", imageName);
        m.put("format", stored.id());
        m.put("uploadedAs", uploaded.id());
        m.put("firmware", firmware.name());
        m.put("memoryMb", memoryMb);
        m.put("virtualSize", virtualSize);
        m.put("sha256", sha256);
        m.put("storedAt", Instant.now().toString());
        Files.writeString(dir.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n");
    }

    private static Optional<StoredVersion> read(Path dir) {
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            return Optional.empty();
        }
        try {
            JsonNode m = JSON.readTree(Files.readString(manifest));
            JsonNode boot = Files.isRegularFile(dir.resolve(BOOT)) ? JSON.readTree(Files.readString(dir.resolve(BOOT)))
                    : null;
            return Optional.of(new StoredVersion(m.path("version").asString(), m.path("image").asString(),
                    DiskFormat.parse(m.path("format").asString()).orElseThrow(),
                    Firmware.parse(m.path("firmware").asString()).orElseThrow(), m.path("memoryMb").asInt(256),
                    m.path("virtualSize").asLong(), m.path("sha256").asString(""),
                    boot != null && boot.path("guestAgent").asBoolean(false), boot != null, dir));
        } catch (IOException | RuntimeException e) {
            throw new VmmException("cannot read " + manifest + ": " + e.getMessage(), e);
        }
    }

    private static void copyReadOnly(Path from, Path to) throws IOException {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("r--r--r--"));
    }

    private static MessageDigest digestOf(Path file, long size) throws IOException {
        MessageDigest digest = newDigest();
        if (size == 0 || !Files.exists(file)) {
            return digest;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[BUFFER];
            long left = size;
            for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0; ) {
                digest.update(buffer, 0, n);
                left -= n;
            }
        }
        return digest;
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String requireId(String id, String what) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a valid " + what + " (a-z, 0-9, '-', at most 63): " + id);
        }
        return id;
    }
}
