package io.atrium.broker.image;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.vmm.api.ConsoleEndpoint;
import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.DraftRequest;
import io.atrium.vmm.api.Firmware;
import io.atrium.vmm.api.ImageHost;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.MachineHost;
import io.atrium.vmm.api.MachineInfo;
import io.atrium.vmm.api.UploadResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The image library for administrators: images and their versions, uploads (streamed to the host, never held in
 * memory), drafts (an installation from an ISO, or an edit of a version as a linked clone), sealing, boot tests and
 * retiring. Every method checks {@code ROLE_ADMIN} itself and records what it did in the audit log; input is
 * validated naming each bad field ({@link InvalidInputException}); an action the version's state does not allow is
 * an {@link IllegalVersionTransitionException} (409). Long steps run on {@link ImageJobs}: calls return at once.
 */
@Service
public class ImageLibraryService {
    private static final Logger log = LoggerFactory.getLogger(ImageLibraryService.class);
    /** Image names: lower case, digits and '-', like pool names (a version's id starts with it). */
    public static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long GIB = 1L << 30;

    private final ImageRepository images;
    private final PoolImageRepository pins;
    private final ImageHost host;
    private final MachineHost machines;
    private final ImageJobs jobs;
    private final AuditLog audit;
    private final Clock clock;

    ImageLibraryService(ImageRepository images, PoolImageRepository pins, ImageHost host, MachineHost machines,
                        ImageJobs jobs, AuditLog audit, Clock clock) {
        this.images = images;
        this.pins = pins;
        this.host = host;
        this.machines = machines;
        this.jobs = jobs;
        this.audit = audit;
        this.clock = clock;
    }

    /** An image with its versions (newest first) and the pools that use each. */
    public record ImageSummary(Image image, List<ImageVersion> versions, Map<String, List<String>> poolsByVersion) {
    }

    /**
     * What an administrator says about an upload.
     *
     * @param format    what the file is: {@code qcow2}, {@code raw}, {@code vmdk} or {@code iso} (never probed)
     * @param firmware  {@code BIOS} or {@code UEFI} (disks)
     * @param memoryMb  the least memory its desktops get (default 512)
     * @param sizeBytes the file's size, when known before it is sent (checked against the quota at once)
     * @param autoSeal  after validation, seal it through its guest agent and boot-test it (default true)
     */
    public record UploadSpec(String format, String firmware, Integer memoryMb, Long sizeBytes, Boolean autoSeal) {
    }

    /**
     * An installation from an install medium into a blank disk.
     *
     * @param mediumVersionId the ISO version to attach as a CD
     * @param diskGb          the blank disk's size
     */
    public record InstallSpec(String mediumVersionId, Integer diskGb, String firmware, Integer memoryMb) {
    }

    // ------------------------------------------------------------------ reading

    @PreAuthorize("hasRole('ADMIN')")
    public List<ImageSummary> images() {
        return images.findImages().stream().map(this::summary).toList();
    }

    @PreAuthorize("hasRole('ADMIN')")
    public ImageSummary image(String imageId) {
        return summary(imageRow(imageId));
    }

    @PreAuthorize("hasRole('ADMIN')")
    public ImageVersion version(String versionId) {
        return versionRow(versionId);
    }

    /** The version's log, oldest first. */
    @PreAuthorize("hasRole('ADMIN')")
    public List<VersionLogEntry> log(String versionId) {
        return images.logOf(versionRow(versionId).id(), 2000);
    }

    /** The largest upload this host takes, in bytes. */
    @PreAuthorize("hasRole('ADMIN')")
    public long maxUploadBytes() {
        return host.maxUploadBytes();
    }

    // ------------------------------------------------------------------ images

    /** Creates an image of the library (its versions come from uploads or drafts). */
    @PreAuthorize("hasRole('ADMIN')")
    public Image createImage(String name, String description) {
        Map<String, String> errors = new LinkedHashMap<>();
        String n = name == null ? "" : name.strip();
        if (!NAME.matcher(n).matches()) {
            errors.put("name", "must be 1 to 40 characters: lower-case letters, digits and '-' (not at either end)");
        } else if (images.findImageByName(n).isPresent()) {
            errors.put("name", "an image named " + n + " already exists");
        }
        if (description != null && description.length() > 500) {
            errors.put("description", "must be at most 500 characters");
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        Image image = new Image(UUID.randomUUID().toString(), n, Image.Kind.LIBRARY,
                description == null || description.isBlank() ? null : description.strip(), clock.instant());
        images.insertImage(image);
        audit.record("image.create", "image", image.id(), Map.of("name", n));
        log.info("image {} created", n);
        return image;
    }

    /** Deletes an image with all its versions; refused while a pool uses one or a desktop runs one. */
    @PreAuthorize("hasRole('ADMIN')")
    public void deleteImage(String imageId) {
        Image image = imageRow(imageId);
        if (image.kind() == Image.Kind.BUILTIN) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Image " + image.name() + " is built into Atrium");
        }
        List<ImageVersion> versions = images.findVersions(image.id());
        for (ImageVersion v : versions) {
            refuseWhileUsed(v, "deleted");
        }
        for (ImageVersion v : versions) {
            v.machine().ifPresent(this::discardQuietly);
            v.uploadId().ifPresent(u -> host.discardUpload(u));
            host.deleteVersion(v.id());
        }
        images.deleteImage(image.id());
        audit.record("image.delete", "image", image.id(), Map.of("name", image.name(), "versions", versions.size()));
    }

    // ------------------------------------------------------------------ uploads

    /**
     * Starts a new version of the image from an upload: returns it UPLOADING; the bytes follow with
     * {@link #receive}. A size announced beyond the quota is refused at once.
     */
    @PreAuthorize("hasRole('ADMIN')")
    public ImageVersion startUpload(String imageId, UploadSpec spec) {
        Image image = imageRow(imageId);
        if (image.kind() == Image.Kind.BUILTIN) {
            throw InvalidInputException.of("image", "built-in images get their versions from Atrium's recipes");
        }
        Map<String, String> errors = new LinkedHashMap<>();
        Optional<DiskFormat> format = spec == null ? Optional.empty() : DiskFormat.parse(spec.format());
        if (format.isEmpty()) {
            errors.put("format", "must be one of qcow2, raw, vmdk, iso");
        }
        Firmware firmware = firmware(spec == null ? null : spec.firmware(), errors);
        int memory = memory(spec == null ? null : spec.memoryMb(), errors);
        Long size = spec == null ? null : spec.sizeBytes();
        if (size != null && size < 1) {
            errors.put("sizeBytes", "must be positive");
        } else if (size != null && size > host.maxUploadBytes()) {
            errors.put("sizeBytes", "refused (QUOTA): the upload is larger than the quota of " + host.maxUploadBytes()
                    + " bytes");
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        boolean medium = format.get() == DiskFormat.ISO;
        ImageVersion v = newVersion(image, VersionState.UPLOADING, ImageVersion.Source.UPLOAD,
                medium ? ImageVersion.Kind.MEDIUM : ImageVersion.Kind.DISK, format, firmware, memory, Optional.empty(),
                Optional.of("up-" + randomHex(8)), Optional.ofNullable(size),
                spec.autoSeal() == null || spec.autoSeal());
        images.log(v.id(), VersionLogEntry.Level.INFO, "upload started by " + v.createdBy() + ": "
                + format.get().id() + (medium ? " (install medium)" : ", " + firmware) + ", "
                + (size == null ? "size not announced" : size + " bytes"));
        audit.record("image.upload", "image_version", v.id(), Map.of("image", image.name(), "format",
                format.get().id(), "bytes", size == null ? -1 : size));
        return version(v.id());
    }

    /**
     * Streams a piece of the upload to the host, starting at byte {@code offset} (0, or where the last piece ended).
     * When the upload is complete ({@code totalBytes} reached, or {@link #completeUpload}) validation starts.
     *
     * @param totalBytes the upload's whole size when known (a {@code Content-Range} total, or the file's size)
     * @throws BrokerException TOO_LARGE (413) beyond the quota: the stream is cut off, the staging file removed and
     *                         the version FAILED; ILLEGAL_STATE if it is not UPLOADING or {@code offset} is not where
     *                         the upload continues
     */
    @PreAuthorize("hasRole('ADMIN')")
    public ImageVersion receive(String versionId, long offset, InputStream body, Long totalBytes) {
        ImageVersion v = versionRow(versionId);
        if (v.state() != VersionState.UPLOADING) {
            throw new IllegalVersionTransitionException(v.state(), VersionState.UPLOADING, "Version " + v.label()
                    + " is " + v.state() + ": it takes no more bytes");
        }
        if (totalBytes != null && totalBytes > host.maxUploadBytes()) {
            throw refuseUpload(v, "refused (QUOTA): the upload is larger than the quota: " + totalBytes + " bytes, the "
                    + "limit is " + host.maxUploadBytes());
        }
        UploadResult r;
        try {
            r = host.receive(v.uploadId().orElseThrow(), offset, body);
        } catch (MachineException e) {
            if (e.kind() == MachineException.Kind.INVALID_SPEC) {
                throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Version " + v.label() + ": " + e.getMessage());
            }
            throw new BrokerException(BrokerStatus.INTERNAL, "The host could not store the upload: " + e.getMessage());
        }
        switch (r) {
            case UploadResult.Refused refused -> throw refuseUpload(v, refused.message());
            case UploadResult.Received received -> {
                images.setReceived(v.id(), received.bytes());
                long expected = totalBytes != null ? totalBytes : v.uploadBytes().orElse(-1L);
                if (received.bytes() == expected) {
                    complete(v, received.bytes());
                }
            }
        }
        return version(v.id());
    }

    /** Ends an upload whose size was not announced: validation starts. */
    @PreAuthorize("hasRole('ADMIN')")
    public ImageVersion completeUpload(String versionId) {
        ImageVersion v = versionRow(versionId);
        long bytes = host.uploaded(v.uploadId().orElse("none")).orElse(0);
        if (v.state() != VersionState.UPLOADING || bytes == 0) {
            throw new IllegalVersionTransitionException(v.state(), VersionState.VALIDATING, "Version " + v.label()
                    + (bytes == 0 ? " has received nothing" : " is " + v.state()));
        }
        complete(v, bytes);
        return version(v.id());
    }

    private void complete(ImageVersion v, long bytes) {
        if (images.transition(v.id(), List.of(VersionState.UPLOADING), VersionState.VALIDATING, null)) {
            images.log(v.id(), VersionLogEntry.Level.INFO, "upload complete: " + bytes + " bytes");
            jobs.validate(v.id());
        }
    }

    private BrokerException refuseUpload(ImageVersion v, String message) {
        v.uploadId().ifPresent(host::discardUpload);
        images.log(v.id(), VersionLogEntry.Level.ERROR, message);
        images.transition(v.id(), List.of(VersionState.UPLOADING), VersionState.FAILED, message);
        audit.record("image.upload", AuditEvent.Outcome.FAILURE, "image_version", v.id(), Map.of("reason", message));
        return new BrokerException(BrokerStatus.TOO_LARGE, message);
    }

    // ------------------------------------------------------------------ drafts

    /**
     * Edits a version: a new version (the next number) whose draft machine is a linked clone of it, started at once
     * and opened by the administrator in the console; {@link #seal} makes it the next version.
     */
    @PreAuthorize("hasRole('ADMIN')")
    public ImageVersion editDraft(String versionId) {
        ImageVersion base = versionRow(versionId);
        if (base.kind() != ImageVersion.Kind.DISK || !VersionState.PUBLISHABLE.contains(base.state())
                || base.source() == ImageVersion.Source.BUILTIN) {
            throw new IllegalVersionTransitionException(base.state(), VersionState.BUILDING, "Only a ready, published"
                    + " or superseded disk version of a library image can be edited; " + base.label() + " is "
                    + base.state());
        }
        Image image = imageRow(base.imageId());
        ImageVersion draft = newVersion(image, VersionState.BUILDING, ImageVersion.Source.EDIT, ImageVersion.Kind.DISK,
                Optional.empty(), base.firmware(), base.memoryMb(), Optional.of(base.id()), Optional.empty(),
                Optional.empty(), true);
        host.createDraft(new DraftRequest(draft.id(), image.name(), Optional.of(base.id()), Optional.empty(), 0,
                base.firmware(), base.memoryMb()));
        images.log(draft.id(), VersionLogEntry.Level.INFO, "draft: a linked clone of " + base.label());
        startDraftMachine(draft);
        audit.record("image.draft", "image_version", draft.id(), Map.of("from", base.id()));
        return version(draft.id());
    }

    /**
     * Installs a new version from an install medium: a draft machine with a blank disk and the ISO attached
     * read-only as a CD, started at once; the administrator installs in the console, then {@link #seal}s it.
     */
    @PreAuthorize("hasRole('ADMIN')")
    public ImageVersion installDraft(String imageId, InstallSpec spec) {
        Image image = imageRow(imageId);
        Map<String, String> errors = new LinkedHashMap<>();
        ImageVersion medium = spec == null || spec.mediumVersionId() == null ? null
                : images.findVersion(spec.mediumVersionId()).orElse(null);
        if (medium == null || medium.kind() != ImageVersion.Kind.MEDIUM || medium.state() != VersionState.READY) {
            errors.put("mediumVersionId", "must be an install medium (an uploaded ISO) that is ready");
        }
        Integer diskGb = spec == null ? null : spec.diskGb();
        if (diskGb == null || diskGb < 1 || diskGb > 4096) {
            errors.put("diskGb", "must be a whole number of GiB from 1 to 4096");
        }
        Firmware firmware = firmware(spec == null ? null : spec.firmware(), errors);
        int memory = memory(spec == null ? null : spec.memoryMb(), errors);
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        ImageVersion draft = newVersion(image, VersionState.BUILDING, ImageVersion.Source.INSTALL,
                ImageVersion.Kind.DISK, Optional.empty(), firmware, memory, Optional.of(medium.id()), Optional.empty(),
                Optional.empty(), true);
        try {
            host.createDraft(new DraftRequest(draft.id(), image.name(), Optional.empty(), Optional.of(medium.id()),
                    diskGb * GIB, firmware, memory));
        } catch (MachineException e) {
            images.transition(draft.id(), List.of(VersionState.BUILDING), VersionState.FAILED, e.getMessage());
            throw InvalidInputException.of("diskGb", e.getMessage());
        }
        images.log(draft.id(), VersionLogEntry.Level.INFO, "draft: install from " + medium.label() + " into a blank "
                + diskGb + " GiB disk (" + firmware + ")");
        startDraftMachine(draft);
        audit.record("image.draft", "image_version", draft.id(), Map.of("medium", medium.id(), "diskGb", diskGb));
        return version(draft.id());
    }

    /** Starts a BUILDING version's draft machine again (after it was powered off, or Atrium restarted). */
    @PreAuthorize("hasRole('ADMIN')")
    public ImageVersion startDraft(String versionId) {
        ImageVersion v = versionRow(versionId);
        if (v.state() != VersionState.BUILDING) {
            throw new IllegalVersionTransitionException(v.state(), VersionState.BUILDING, "Version " + v.label()
                    + " is " + v.state() + ": it has no draft machine");
        }
        if (v.machine().flatMap(machines::find).isEmpty()) {
            startDraftMachine(v);
        }
        return version(v.id());
    }

    /** Where the screen of a version's running draft machine is served (for the administrator's console). */
    @PreAuthorize("hasRole('ADMIN')")
    public Optional<ConsoleEndpoint> draftConsole(String versionId) {
        return versionRow(versionId).machine().flatMap(machines::find).map(MachineInfo::console);
    }

    /** The version's draft machine screen as PNG, when it runs. */
    @PreAuthorize("hasRole('ADMIN')")
    public Optional<byte[]> draftScreen(String versionId) {
        return versionRow(versionId).machine().flatMap(machines::screendump);
    }

    /**
     * Seals a draft (an uploaded one, or a BUILDING one whose machine the administrator used) through its guest
     * agent, commits it as a version and boot-tests it. {@code throughAgent=false} commits it as it is (for an image
     * that is sealed already, e.g. with sysprep).
     */
    @PreAuthorize("hasRole('ADMIN')")
    public ImageVersion seal(String versionId, boolean throughAgent) {
        ImageVersion v = versionRow(versionId);
        if (!images.transition(v.id(), List.of(VersionState.DRAFT, VersionState.BUILDING), VersionState.SEALING, null)) {
            throw new IllegalVersionTransitionException(v.state(), VersionState.SEALING, "Version " + v.label()
                    + " is " + v.state() + ": only a draft can be sealed");
        }
        images.log(v.id(), VersionLogEntry.Level.INFO, "seal " + (throughAgent ? "through the guest agent"
                : "as it is") + " requested by " + CurrentUser.get().name());
        jobs.seal(v.id(), throughAgent);
        audit.record("image.seal", "image_version", v.id(), Map.of("throughAgent", throughAgent));
        return version(v.id());
    }

    /** Runs the boot test again (a READY version, or one whose boot test failed). */
    @PreAuthorize("hasRole('ADMIN')")
    public ImageVersion retest(String versionId) {
        ImageVersion v = versionRow(versionId);
        boolean committed = host.version(v.id()).map(h -> h.kind() == io.atrium.vmm.api.HostVersion.Kind.DISK)
                .orElse(false);
        if (!committed || !images.transition(v.id(), List.of(VersionState.READY, VersionState.FAILED),
                VersionState.TESTING, null)) {
            throw new IllegalVersionTransitionException(v.state(), VersionState.TESTING, "Version " + v.label()
                    + (committed ? " is " + v.state() : " is not a committed disk") + ": it cannot be boot-tested");
        }
        jobs.bootTest(v.id());
        audit.record("image.test", "image_version", v.id(), Map.of());
        return version(v.id());
    }

    /**
     * Retires a version: its files and templates are removed and it can never be published again. Refused while a
     * pool pins, canaries or rolls it out, or a desktop runs it.
     */
    @PreAuthorize("hasRole('ADMIN')")
    public ImageVersion retire(String versionId) {
        ImageVersion v = versionRow(versionId);
        if (v.source() == ImageVersion.Source.BUILTIN) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Version " + v.label() + " is built into Atrium");
        }
        refuseWhileUsed(v, "retired");
        // published, but its last pool is gone: superseded first (the state table's only way out of PUBLISHED)
        images.transition(v.id(), List.of(VersionState.PUBLISHED), VersionState.SUPERSEDED, null);
        if (!images.transition(v.id(), VersionState.predecessorsOf(VersionState.RETIRED), VersionState.RETIRED,
                "Retired by " + CurrentUser.get().name())) {
            throw new IllegalVersionTransitionException(v.state(), VersionState.RETIRED, "Version " + v.label()
                    + " is " + v.state() + ": it cannot be retired now");
        }
        v.machine().ifPresent(m -> {
            discardQuietly(m);
            images.setMachine(v.id(), null);
        });
        v.uploadId().ifPresent(host::discardUpload);
        host.deleteVersion(v.id());
        images.log(v.id(), VersionLogEntry.Level.INFO, "retired: files and templates removed");
        audit.record("image.retire", "image_version", v.id(), Map.of("version", v.label()));
        return version(v.id());
    }

    // ------------------------------------------------------------------ helpers

    private void startDraftMachine(ImageVersion v) {
        String name = v.machine().orElseGet(ImageJobs::draftMachineName);
        images.setMachine(v.id(), name);
        try {
            machines.start(ImageJobs.draftSpec(v, name));
            images.log(v.id(), VersionLogEntry.Level.INFO, "draft machine " + name + " started: open its console");
        } catch (MachineException e) {
            images.log(v.id(), VersionLogEntry.Level.ERROR, "the draft machine did not start: " + e.getMessage());
            throw new BrokerException(BrokerStatus.INTERNAL, "The draft machine did not start: " + e.getMessage());
        }
    }

    private void refuseWhileUsed(ImageVersion v, String what) {
        List<String> pools = pins.poolsUsing(v.id());
        if (!pools.isEmpty() || pins.anyDesktopRuns(v.id())) {
            throw new IllegalVersionTransitionException(v.state(), VersionState.RETIRED, "Version " + v.label()
                    + " cannot be " + what + ": " + (pools.isEmpty() ? "desktops still run it"
                    : pools.size() + " pool(s) use it") + "; publish another version to them first");
        }
    }

    private ImageVersion newVersion(Image image, VersionState state, ImageVersion.Source source,
                                    ImageVersion.Kind kind, Optional<DiskFormat> format, Firmware firmware,
                                    int memoryMb, Optional<String> parent, Optional<String> uploadId,
                                    Optional<Long> uploadBytes, boolean autoSeal) {
        Instant now = clock.instant();
        for (int attempt = 0; ; attempt++) {
            int number = images.nextNumber(image.id());
            String id = image.name() + "-v" + number + "-" + randomHex(3);
            ImageVersion v = new ImageVersion(id, image.id(), image.name(), number, state, source, kind, format,
                    firmware, memoryMb, parent, uploadId, uploadBytes, 0, Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), autoSeal, null, CurrentUser.get().name(), now, now);
            try {
                images.insertVersion(v);
                return v;
            } catch (org.springframework.dao.DuplicateKeyException raced) {
                if (attempt > 5) {
                    throw raced;
                }
            }
        }
    }

    private ImageSummary summary(Image image) {
        List<ImageVersion> versions = images.findVersions(image.id());
        Map<String, List<String>> pools = new LinkedHashMap<>();
        for (ImageVersion v : versions) {
            List<String> using = pins.poolsUsing(v.id());
            if (!using.isEmpty()) {
                pools.put(v.id(), using);
            }
        }
        return new ImageSummary(image, versions, pools);
    }

    private Image imageRow(String imageId) {
        return images.findImage(imageId).or(() -> images.findImageByName(imageId))
                .orElseThrow(() -> BrokerException.notFound("Image " + imageId));
    }

    private ImageVersion versionRow(String versionId) {
        return images.findVersion(versionId).orElseThrow(() -> BrokerException.notFound("Image version " + versionId));
    }

    private void discardQuietly(String machine) {
        try {
            machines.discard(machine);
        } catch (RuntimeException e) {
            log.warn("draft machine {}: discard: {}", machine, e.getMessage());
        }
    }

    private static Firmware firmware(String text, Map<String, String> errors) {
        if (text == null || text.isBlank()) {
            return Firmware.BIOS;
        }
        Optional<Firmware> f = Firmware.parse(text);
        if (f.isEmpty()) {
            errors.put("firmware", "must be BIOS or UEFI");
            return Firmware.BIOS;
        }
        return f.get();
    }

    private static int memory(Integer memoryMb, Map<String, String> errors) {
        if (memoryMb == null) {
            return 512;
        }
        if (memoryMb < 64 || memoryMb > 65536) {
            errors.put("memoryMb", "must be a whole number from 64 to 65536");
        }
        return memoryMb;
    }

    static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
