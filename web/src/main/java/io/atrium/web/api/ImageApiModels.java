package io.atrium.web.api;

import io.atrium.broker.image.Image;
import io.atrium.broker.image.ImageLibraryService;
import io.atrium.broker.image.ImageVersion;
import io.atrium.broker.image.Rollout;
import io.atrium.broker.image.RolloutStatus;
import io.atrium.broker.image.VersionLogEntry;
import io.atrium.vmm.api.DiskFormat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The JSON shapes of the image library API. Absent values are {@code null}. */
final class ImageApiModels {
    private ImageApiModels() {
    }

    /** Body of {@code POST /api/images}. */
    record ImageRequest(String name, String description) {
    }

    /** An image with its versions, newest first; {@code pools}: version id → pools that use it. */
    record ImageResponse(String id, String name, String kind, String description, Instant createdAt,
                         List<VersionResponse> versions, Map<String, List<String>> pools) {
        static ImageResponse of(ImageLibraryService.ImageSummary s) {
            Image i = s.image();
            return new ImageResponse(i.id(), i.name(), i.kind().name(), i.description(), i.createdAt(),
                    s.versions().stream().map(VersionResponse::of).toList(), s.poolsByVersion());
        }
    }

    /**
     * Body of {@code POST /api/images/{id}/versions}: a version made by an upload.
     *
     * @param format    {@code qcow2}, {@code raw}, {@code vmdk} or {@code iso}: what the file is (never probed)
     * @param firmware  {@code BIOS} (default) or {@code UEFI}
     * @param memoryMb  the least memory its desktops get (default 512)
     * @param sizeBytes the file's size, checked against the quota before anything is sent
     * @param autoSeal  after validation, seal it through its guest agent and boot-test it (default true)
     */
    record UploadRequest(String format, String firmware, Integer memoryMb, Long sizeBytes, Boolean autoSeal) {
        ImageLibraryService.UploadSpec toSpec() {
            return new ImageLibraryService.UploadSpec(format, firmware, memoryMb, sizeBytes, autoSeal);
        }
    }

    /** Body of {@code POST /api/images/{id}/installs}: an installation from an uploaded ISO into a blank disk. */
    record InstallRequest(String mediumVersionId, Integer diskGb, String firmware, Integer memoryMb) {
        ImageLibraryService.InstallSpec toSpec() {
            return new ImageLibraryService.InstallSpec(mediumVersionId, diskGb, firmware, memoryMb);
        }
    }

    /**
     * A version.
     *
     * @param uploadUrl    where its bytes go ({@code PUT}, while UPLOADING)
     * @param guestAgent   whether its boot test found the QEMU guest agent (null before one)
     * @param coldBootOnly its desktops can only be cold-booted (no agent to give a clone its identity)
     * @param reason       why it is FAILED (the refusal names the rule)
     */
    record VersionResponse(String id, String imageId, String image, int number, String label, String state,
                           String source, String kind, String format, String firmware, int memoryMb, String parentId,
                           Long uploadBytes, long receivedBytes, String uploadUrl, String sha256, Long virtualSize,
                           Boolean guestAgent, boolean coldBootOnly, String draftMachine, String reason,
                           String createdBy, Instant createdAt, Instant updatedAt) {
        static VersionResponse of(ImageVersion v) {
            return new VersionResponse(v.id(), v.imageId(), v.imageName(), v.number(), v.label(), v.state().name(),
                    v.source().name(), v.kind().name(), v.format().map(DiskFormat::id).orElse(null),
                    v.firmware().name(), v.memoryMb(), v.parentId().orElse(null), v.uploadBytes().orElse(null),
                    v.receivedBytes(), v.state().name().equals("UPLOADING") ? "/api/image-versions/" + v.id() + "/disk"
                            : null, v.sha256().orElse(null), v.virtualSize().orElse(null),
                    v.guestAgent().orElse(null), v.coldBootOnly(), v.machine().orElse(null), v.stateReason(),
                    v.createdBy(), v.createdAt(), v.updatedAt());
        }
    }

    record LogEntryResponse(long seq, Instant at, String level, String message) {
        static LogEntryResponse of(VersionLogEntry e) {
            return new LogEntryResponse(e.seq(), e.at(), e.level().name(), e.message());
        }
    }

    /**
     * Body of {@code POST /api/pools/{id}/image/publish} and {@code …/rollback}.
     *
     * @param mode         {@code AT_LOGOFF} (default) or {@code FORCED}
     * @param graceSeconds FORCED: between the message and the log off
     * @param batchSize    desktops moved at a time
     */
    record PublishRequest(String versionId, String mode, Long graceSeconds, Integer batchSize) {
        io.atrium.broker.image.RolloutService.PublishSpec toSpec() {
            return new io.atrium.broker.image.RolloutService.PublishSpec(versionId, mode, graceSeconds, batchSize);
        }
    }

    /** Body of {@code PUT /api/pools/{id}/image/canary}; a null version takes the canary away. */
    record CanaryRequest(String versionId, Integer size) {
    }

    record RolloutResponse(String id, String poolId, String fromVersion, String toVersion, String mode, int batchSize,
                           long graceSeconds, boolean rollback, String state, String message, String startedBy,
                           Instant startedAt, Instant endedAt) {
        static RolloutResponse of(Rollout r) {
            return new RolloutResponse(r.id(), r.poolId(), r.from().orElse(null), r.to(), r.mode().name(),
                    r.batchSize(), r.grace().toSeconds(), r.rollback(), r.state().name(), r.message(), r.startedBy(),
                    r.startedAt(), r.endedAt().orElse(null));
        }
    }

    /**
     * A pool's image: its pin, canary, rollout and per desktop where it is ({@code OLD}, {@code NEW},
     * {@code FAILED}, {@code CANARY}, {@code NOTIFIED}, {@code KEPT}: a personal desktop keeps its disk).
     */
    record PoolImageResponse(String poolId, String pool, String image, boolean personal, VersionResponse pinned,
                             VersionResponse canary, int canarySize, RolloutResponse rollout,
                             VersionResponse rollbackTarget, long done, long moving,
                             List<DesktopProgressResponse> desktops) {
        static PoolImageResponse of(RolloutStatus s) {
            return new PoolImageResponse(s.poolId(), s.poolName(), s.imageName(), s.personal(),
                    s.pinned().map(VersionResponse::of).orElse(null), s.canary().map(VersionResponse::of).orElse(null),
                    s.canarySize(), s.rollout().map(RolloutResponse::of).orElse(null),
                    s.rollbackTarget().map(VersionResponse::of).orElse(null), s.done(), s.moving(),
                    s.desktops().stream().map(DesktopProgressResponse::of).toList());
        }
    }

    record DesktopProgressResponse(String desktopId, String name, String state, String user, String versionId,
                                   String version, String progress, Instant logoffAt) {
        static DesktopProgressResponse of(RolloutStatus.DesktopProgress d) {
            return new DesktopProgressResponse(d.desktopId(), d.name(), d.state().name(), d.user(),
                    d.version().orElse(null), d.versionLabel().orElse(null), d.progress().name(),
                    d.logoffAt().orElse(null));
        }
    }
}
