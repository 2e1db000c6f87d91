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
 *   versions/&lt;version id&gt;/         committed versions (immutable)
 *     golden.qcow2                 the validated, flattened disk, 0444 (disk versions)
 *     install.iso                  the validated ISO, 0444, attached read-only as a CD (install media)
 *     efivars.fd                   UEFI variable store template, 0444 (UEFI disk versions)
 *     manifest.json                what it is (written last: a version without it does not exist)
 *     boot.json                    the boot test's result (whether the guest agent answered)
 *   drafts/&lt;version id&gt;/           drafts: versions still being made
 *     golden.qcow2                 an uploaded disk, validated and converted, 0444
 *     blank.qcow2                  the empty disk of an install from a medium, 0444 (the machine writes its overlay)
 *     efivars.fd                   UEFI variable store template, 0444
 *     manifest.json                source (upload, install from medium, clone of a version), firmware, memory
 * </pre>
 * A draft's machine writes only its own overlay in its run directory; committing a draft flattens that overlay (or
 * takes the uploaded disk as it is) into {@code versions/<id>/golden.qcow2}, validated again.
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
                                Path directory, Kind kind, Optional<Path> base, Optional<Path> medium) {

        /** A committed, read-only disk; an install medium; or a draft (a disk still being made). */
        public enum Kind { DISK, MEDIUM, DRAFT }

        /**
         * The read-only disk a machine of it gets its overlay over: its golden disk; for a draft the uploaded disk,
         * the blank disk or the version it is a clone of.
         */
        public Path golden() {
            return base.orElse(directory.resolve("golden.qcow2"));
        }

        public Path iso() {
            return directory.resolve("install.iso");
        }

        public Path efiVars() {
            return directory.resolve("efivars.fd");
        }

        public boolean isDisk() {
            return kind != Kind.MEDIUM;
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

    Path draftsDir() {
        return root().resolve("drafts");
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
            Path parent = format == DiskFormat.ISO ? versionsDir() : draftsDir();
            Path dir = DirectoryCache.ensure(parent, versionId, MANIFEST, "library version " + versionId, tmp -> {
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
                ObjectNode m = manifest(versionId, imageName, format == DiskFormat.ISO ? DiskFormat.ISO : DiskFormat.QCOW2,
                        format, firmware, memoryMb, facts.virtualSize(), sha256);
                m.put("kind", format == DiskFormat.ISO ? "MEDIUM" : "DRAFT");
                m.put("source", "upload");
                write(tmp, m);
            });
            return new Imported(read(dir).orElseThrow(), lines);
        } catch (IOException e) {
            throw new VmmException("version " + versionId + ": " + e.getMessage(), e);
        } finally {
            discardStaging(uploadId);
        }
    }

    /**
     * Makes a draft: a linked clone of {@code base} (the draft machine's overlay will sit on the base's golden disk),
     * or a blank disk of {@code diskBytes} with the install medium {@code medium} attached.
     */
    public StoredVersion createDraft(String versionId, String imageName, Optional<String> base, Optional<String> medium,
                                     long diskBytes, Firmware firmware, int memoryMb) {
        requireId(versionId, "version id");
        StoredVersion from = base.map(b -> find(b).filter(v -> v.kind() == StoredVersion.Kind.DISK)
                .orElseThrow(() -> new IllegalArgumentException("no committed disk version " + b))).orElse(null);
        StoredVersion iso = medium.map(m -> find(m).filter(v -> v.kind() == StoredVersion.Kind.MEDIUM)
                .orElseThrow(() -> new IllegalArgumentException("no install medium " + m))).orElse(null);
        if (diskBytes > limits.maxVirtualSize().toBytes()) {
            throw new IllegalArgumentException("a blank disk of " + diskBytes + " bytes is above the virtual size limit");
        }
        Path dir = DirectoryCache.ensure(draftsDir(), versionId, MANIFEST, "library draft " + versionId, tmp -> {
            long size;
            if (iso != null) {
                Path blank = tmp.resolve("blank.qcow2");
                io.atrium.vmm.process.ProcessRunner.run(io.atrium.vmm.process.Command.of(vmm.qemuImgBinary(),
                        "create", "-q", "-f", "qcow2", blank.toString(), Long.toString(diskBytes))
                        .withTimeout(java.time.Duration.ofSeconds(60)));
                Files.setPosixFilePermissions(blank, PosixFilePermissions.fromString("r--r--r--"));
                size = diskBytes;
            } else {
                size = from.virtualSize();
            }
            Firmware fw = from != null ? from.firmware() : firmware;
            if (fw == Firmware.UEFI) {
                copyReadOnly(from != null && Files.exists(from.efiVars()) ? from.efiVars() : limits.ovmfVars(),
                        tmp.resolve("efivars.fd"));
            }
            ObjectNode m = manifest(versionId, imageName, DiskFormat.QCOW2, DiskFormat.QCOW2, fw,
                    Math.max(memoryMb, from != null ? from.memoryMb() : 64), size, "");
            m.put("kind", "DRAFT");
            m.put("source", from != null ? "clone" : "install");
            if (from != null) {
                m.put("base", from.versionId());
            }
            if (iso != null) {
                m.put("medium", iso.versionId());
            }
            write(tmp, m);
        });
        return read(dir).orElseThrow();
    }

    /**
     * Commits a draft: flattens {@code overlay} (the stopped draft machine's disk with its backing chain, which is
     * Atrium's own) or, without one, the draft's uploaded disk, into {@code versions/<id>/golden.qcow2}, validates
     * it again as an upload and keeps it read-only, with the machine's UEFI variables ({@code efiVars}) if it has
     * them. The draft's files are removed.
     *
     * @throws ImageRefusedException when the flattened disk breaks a rule
     */
    public Imported commit(String versionId, Optional<Path> overlay, Optional<Path> efiVars) {
        StoredVersion draft = find(versionId).filter(v -> v.kind() == StoredVersion.Kind.DRAFT)
                .orElseThrow(() -> new IllegalArgumentException("no draft " + versionId));
        Path source = overlay.orElse(draft.golden());
        if (!Files.isRegularFile(source)) {
            throw new ImageRefusedException(ValidationRule.CORRUPT, "the draft has no disk to commit");
        }
        List<String> lines = new ArrayList<>();
        Path dir = DirectoryCache.ensure(versionsDir(), versionId, MANIFEST, "library version " + versionId, tmp -> {
            Path golden = tmp.resolve("golden.qcow2");
            long start = System.nanoTime();
            new LimitedQemuImg(vmm.qemuImgBinary(), limits).runOk("convert", limits.maxDiskSize().toBytes(),
                    "convert", "-q", "-f", "qcow2", "-O", "qcow2", "-o", "compat=1.1", source.toString(),
                    golden.toString());
            lines.add("flattened " + (overlay.isPresent() ? "the draft machine's disk" : "the uploaded disk")
                    + " into a new qcow2 in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            DiskValidator.DiskFacts facts = validator.validate(golden, DiskFormat.QCOW2);
            lines.addAll(facts.log());
            Files.setPosixFilePermissions(golden, PosixFilePermissions.fromString("r--r--r--"));
            lines.add("golden disk made read-only (0444)");
            if (draft.firmware() == Firmware.UEFI) {
                Path vars = efiVars.filter(Files::isRegularFile).orElse(draft.efiVars());
                copyReadOnly(Files.isRegularFile(vars) ? vars : limits.ovmfVars(), tmp.resolve("efivars.fd"));
                lines.add("UEFI variables " + (efiVars.filter(Files::isRegularFile).isPresent()
                        ? "of the draft machine (its boot entries)" : "of the draft"));
            }
            ObjectNode m = manifest(versionId, draft.imageName(), DiskFormat.QCOW2, DiskFormat.QCOW2, draft.firmware(),
                    draft.memoryMb(), facts.virtualSize(), draft.sha256());
            m.put("kind", "DISK");
            write(tmp, m);
        });
        deleteDir(draftsDir().resolve(versionId));
        return new Imported(read(dir).orElseThrow(), lines);
    }

    /** The version (committed, medium, or draft), if this host keeps it. */
    public Optional<StoredVersion> find(String versionId) {
        if (versionId == null || !ID.matcher(versionId).matches()) {
            return Optional.empty();
        }
        Optional<StoredVersion> v = read(versionsDir().resolve(versionId));
        return v.isPresent() ? v : read(draftsDir().resolve(versionId));
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

    /** Removes the version's (and its draft's) files; its templates are the caller's. */
    public void delete(String versionId) {
        requireId(versionId, "version id");
        deleteDir(versionsDir().resolve(versionId));
        deleteDir(draftsDir().resolve(versionId));
        log.info("library version {} removed", versionId);
    }

    private static void deleteDir(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.deleteIfExists(dir.resolve(MANIFEST)); // first: a half-removed version no longer exists
        } catch (IOException e) {
            throw new VmmException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
        DirectoryCache.deleteTree(dir);
    }

    /**
     * The version as a bootable image: a disk that boots through its firmware, with the guest agent channel when
     * its boot test found an agent ({@code withAgentChannel} forces the channel, for the boot test itself).
     */
    public GuestImage guestImage(StoredVersion v, boolean withAgentChannel) {
        if (!v.isDisk()) {
            throw new VmmException("version " + v.versionId() + " is an ISO, not a bootable disk");
        }
        boolean agent = withAgentChannel || v.guestAgent() || v.kind() == StoredVersion.Kind.DRAFT;
        return GuestImage.diskBoot(v.imageName(), v.versionId(), v.golden(), v.memoryMb(), v.firmware(),
                limits.ovmfCode(), v.efiVars(), agent);
    }

    // ------------------------------------------------------------------ internals

    private static ObjectNode manifest(String versionId, String imageName, DiskFormat stored, DiskFormat uploaded,
                                       Firmware firmware, int memoryMb, long virtualSize, String sha256) {
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
        return m;
    }

    private static void write(Path dir, ObjectNode manifest) throws IOException {
        Files.writeString(dir.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest)
                + "\n");
    }

    private Optional<StoredVersion> read(Path dir) {
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            return Optional.empty();
        }
        try {
            JsonNode m = JSON.readTree(Files.readString(manifest));
            JsonNode boot = Files.isRegularFile(dir.resolve(BOOT)) ? JSON.readTree(Files.readString(dir.resolve(BOOT)))
                    : null;
            StoredVersion.Kind kind = StoredVersion.Kind.valueOf(m.path("kind").asString("DISK"));
            Optional<Path> base = Optional.empty();
            Optional<Path> medium = Optional.empty();
            if (kind == StoredVersion.Kind.DRAFT) {
                base = Optional.of(m.has("base") ? versionsDir().resolve(requireId(m.path("base").asString(), "base"))
                        .resolve("golden.qcow2") : Files.exists(dir.resolve("blank.qcow2"))
                        ? dir.resolve("blank.qcow2") : dir.resolve("golden.qcow2"));
                if (m.has("medium")) {
                    medium = Optional.of(versionsDir().resolve(requireId(m.path("medium").asString(), "medium"))
                            .resolve("install.iso"));
                }
            }
            return Optional.of(new StoredVersion(m.path("version").asString(), m.path("image").asString(),
                    DiskFormat.parse(m.path("format").asString()).orElseThrow(),
                    Firmware.parse(m.path("firmware").asString()).orElseThrow(), m.path("memoryMb").asInt(256),
                    m.path("virtualSize").asLong(), m.path("sha256").asString(""),
                    boot != null && boot.path("guestAgent").asBoolean(false), boot != null, dir, kind, base, medium));
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
