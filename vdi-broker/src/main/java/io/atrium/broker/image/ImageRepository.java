package io.atrium.broker.image;

import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.Firmware;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Images, versions and version logs in the database. Every state change of a version goes through
 * {@link #transition}, which refuses what {@link VersionState#canBecome} forbids and is a conditional update
 * ("compare and set" on the current state).
 */
@Repository
class ImageRepository {
    static final int MAX_LOG_MESSAGE = 2000;

    private static final RowMapper<Image> IMAGE = (rs, i) -> new Image(rs.getString("id"), rs.getString("name"),
            Image.Kind.valueOf(rs.getString("kind")), rs.getString("description"),
            rs.getTimestamp("created_at").toInstant());

    private static final String VERSION_SELECT = "select v.*, i.name as image_name from image_version v"
            + " join image i on i.id = v.image_id";

    private final JdbcClient jdbc;
    private final Clock clock;

    ImageRepository(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    // ------------------------------------------------------------------ images

    List<Image> findImages() {
        return jdbc.sql("select * from image order by name").query(IMAGE).list();
    }

    Optional<Image> findImage(String id) {
        return jdbc.sql("select * from image where id = ?").param(id).query(IMAGE).optional();
    }

    Optional<Image> findImageByName(String name) {
        return jdbc.sql("select * from image where name = ?").param(name).query(IMAGE).optional();
    }

    void insertImage(Image image) {
        jdbc.sql("insert into image (id, name, kind, description, created_at) values (?, ?, ?, ?, ?)")
                .params(image.id(), image.name(), image.kind().name(), image.description(),
                        Timestamp.from(image.createdAt())).update();
    }

    void deleteImage(String id) {
        jdbc.sql("delete from image where id = ?").param(id).update();
    }

    // ------------------------------------------------------------------ versions

    List<ImageVersion> findVersions(String imageId) {
        return jdbc.sql(VERSION_SELECT + " where v.image_id = ? order by v.number desc").param(imageId)
                .query(ImageRepository::version).list();
    }

    Optional<ImageVersion> findVersion(String id) {
        return jdbc.sql(VERSION_SELECT + " where v.id = ?").param(id).query(ImageRepository::version).optional();
    }

    Optional<ImageVersion> findByUpload(String uploadId) {
        return jdbc.sql(VERSION_SELECT + " where v.upload_id = ?").param(uploadId).query(ImageRepository::version)
                .optional();
    }

    List<ImageVersion> findInStates(Collection<VersionState> states) {
        if (states.isEmpty()) {
            return List.of();
        }
        return jdbc.sql(VERSION_SELECT + " where v.state in (" + in(states) + ") order by v.created_at")
                .query(ImageRepository::version).list();
    }

    int nextNumber(String imageId) {
        Integer max = jdbc.sql("select max(number) from image_version where image_id = ?").param(imageId)
                .query(Integer.class).optional().orElse(null);
        return max == null ? 1 : max + 1;
    }

    void insertVersion(ImageVersion v) {
        jdbc.sql("""
                        insert into image_version (id, image_id, number, state, source, kind, format, firmware, memory_mb,
                            parent_id, upload_id, upload_bytes, received_bytes, sha256, virtual_size, guest_agent,
                            machine, auto_seal, state_reason, created_by, created_at, updated_at)
                        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(v.id(), v.imageId(), v.number(), v.state().name(), v.source().name(), v.kind().name(),
                        v.format().map(DiskFormat::id).orElse(null), v.firmware().name(), v.memoryMb(),
                        v.parentId().orElse(null), v.uploadId().orElse(null), v.uploadBytes().orElse(null),
                        v.receivedBytes(), v.sha256().orElse(null), v.virtualSize().orElse(null),
                        v.guestAgent().orElse(null), v.machine().orElse(null), v.autoSeal(), v.stateReason(),
                        v.createdBy(), Timestamp.from(v.createdAt()), Timestamp.from(v.updatedAt()))
                .update();
    }

    /**
     * Moves the version to {@code to} if it is in one of {@code from}.
     *
     * @return false if it is in none of them (another caller was faster, or it is not there: the caller decides)
     * @throws IllegalVersionTransitionException if a state in {@code from} cannot become {@code to}; nothing is
     *                                           written
     */
    boolean transition(String id, Collection<VersionState> from, VersionState to, String reason) {
        for (VersionState s : from) {
            if (!s.canBecome(to)) {
                throw new IllegalVersionTransitionException(s, to, "Version " + id + ": the state table does not allow "
                        + s + " -> " + to);
            }
        }
        if (from.isEmpty()) {
            return false;
        }
        return jdbc.sql("update image_version set state = ?, state_reason = ?, updated_at = ? where id = ? and state in ("
                        + in(from) + ")")
                .params(to.name(), clip(reason, 1000), now(), id).update() == 1;
    }

    void setReceived(String id, long bytes) {
        jdbc.sql("update image_version set received_bytes = ?, updated_at = ? where id = ?").params(bytes, now(), id)
                .update();
    }

    void setImported(String id, String sha256, long virtualSize) {
        jdbc.sql("update image_version set sha256 = ?, virtual_size = ?, updated_at = ? where id = ?")
                .params(sha256, virtualSize, now(), id).update();
    }

    void setVirtualSize(String id, long virtualSize) {
        jdbc.sql("update image_version set virtual_size = ?, updated_at = ? where id = ?").params(virtualSize, now(), id)
                .update();
    }

    void setGuestAgent(String id, boolean agent) {
        jdbc.sql("update image_version set guest_agent = ?, updated_at = ? where id = ?").params(agent, now(), id)
                .update();
    }

    void setMachine(String id, String machine) {
        jdbc.sql("update image_version set machine = ?, updated_at = ? where id = ?").params(machine, now(), id)
                .update();
    }

    List<String> draftMachines() {
        return jdbc.sql("select machine from image_version where machine is not null").query(String.class).list();
    }

    // ------------------------------------------------------------------ logs

    /** Appends a line to the version's log (cut to {@value #MAX_LOG_MESSAGE} characters). */
    void log(String versionId, VersionLogEntry.Level level, String message) {
        for (int attempt = 0; ; attempt++) {
            long seq = jdbc.sql("select coalesce(max(seq), 0) + 1 from image_version_log where version_id = ?")
                    .param(versionId).query(Long.class).single();
            try {
                jdbc.sql("insert into image_version_log (version_id, seq, at, level, message) values (?, ?, ?, ?, ?)")
                        .params(versionId, seq, now(), level.name(), clip(message, MAX_LOG_MESSAGE)).update();
                return;
            } catch (DuplicateKeyException raced) {
                if (attempt > 5) {
                    throw raced;
                }
            }
        }
    }

    List<VersionLogEntry> logOf(String versionId, int limit) {
        return jdbc.sql("select * from image_version_log where version_id = ? order by seq").param(versionId)
                .query((rs, i) -> new VersionLogEntry(rs.getString("version_id"), rs.getLong("seq"),
                        rs.getTimestamp("at").toInstant(), VersionLogEntry.Level.valueOf(rs.getString("level")),
                        rs.getString("message")))
                .list().stream().limit(limit).toList();
    }

    // ------------------------------------------------------------------ helpers

    private static ImageVersion version(ResultSet rs, int i) throws SQLException {
        long uploadBytes = rs.getLong("upload_bytes");
        boolean noUploadBytes = rs.wasNull();
        long virtualSize = rs.getLong("virtual_size");
        boolean noVirtualSize = rs.wasNull();
        boolean agent = rs.getBoolean("guest_agent");
        boolean noAgent = rs.wasNull();
        return new ImageVersion(rs.getString("id"), rs.getString("image_id"), rs.getString("image_name"),
                rs.getInt("number"), VersionState.valueOf(rs.getString("state")),
                ImageVersion.Source.valueOf(rs.getString("source")), ImageVersion.Kind.valueOf(rs.getString("kind")),
                Optional.ofNullable(rs.getString("format")).flatMap(DiskFormat::parse),
                Firmware.valueOf(rs.getString("firmware")), rs.getInt("memory_mb"),
                Optional.ofNullable(rs.getString("parent_id")), Optional.ofNullable(rs.getString("upload_id")),
                noUploadBytes ? Optional.empty() : Optional.of(uploadBytes), rs.getLong("received_bytes"),
                Optional.ofNullable(rs.getString("sha256")),
                noVirtualSize ? Optional.empty() : Optional.of(virtualSize),
                noAgent ? Optional.empty() : Optional.of(agent), Optional.ofNullable(rs.getString("machine")),
                rs.getBoolean("auto_seal"), rs.getString("state_reason"), rs.getString("created_by"),
                rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant());
    }

    private static String in(Collection<VersionState> states) {
        List<String> quoted = new ArrayList<>();
        states.forEach(s -> quoted.add("'" + s.name() + "'"));
        return String.join(",", quoted);
    }

    static String clip(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    private Timestamp now() {
        return Timestamp.from(clock.instant());
    }
}
