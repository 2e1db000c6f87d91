package io.atrium.broker.image;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** Which version each pool pins (and its canary), which version each desktop runs, and rollouts. */
@Repository
class PoolImageRepository {

    /** A pool's pin. {@code version} empty: the pool's built-in image, not yet resolved to its current version. */
    record Pin(String poolId, Optional<String> version, Optional<String> canaryVersion, int canarySize) {
    }

    private static final RowMapper<Pin> PIN = (rs, i) -> new Pin(rs.getString("pool_id"),
            Optional.ofNullable(rs.getString("version_id")), Optional.ofNullable(rs.getString("canary_version_id")),
            rs.getInt("canary_size"));

    private static final RowMapper<Rollout> ROLLOUT = (rs, i) -> new Rollout(rs.getString("id"),
            rs.getString("pool_id"), Optional.ofNullable(rs.getString("from_version")), rs.getString("to_version"),
            Rollout.Mode.valueOf(rs.getString("mode")), rs.getInt("batch_size"),
            Duration.ofSeconds(rs.getLong("grace_s")), rs.getBoolean("rollback"),
            Rollout.State.valueOf(rs.getString("state")), rs.getString("message"), rs.getString("started_by"),
            rs.getTimestamp("started_at").toInstant(),
            Optional.ofNullable(rs.getTimestamp("ended_at")).map(Timestamp::toInstant));

    private final JdbcClient jdbc;
    private final Clock clock;

    PoolImageRepository(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    // ------------------------------------------------------------------ pins

    Optional<Pin> pin(String poolId) {
        return jdbc.sql("select * from pool_image where pool_id = ?").param(poolId).query(PIN).optional();
    }

    List<Pin> pins() {
        return jdbc.sql("select * from pool_image").query(PIN).list();
    }

    /** Sets the pool's pinned version, keeping its canary. */
    void pinVersion(String poolId, String versionId) {
        int n = jdbc.sql("update pool_image set version_id = ?, updated_at = ? where pool_id = ?")
                .params(versionId, now(), poolId).update();
        if (n == 0) {
            jdbc.sql("insert into pool_image (pool_id, version_id, canary_size, updated_at) values (?, ?, 0, ?)")
                    .params(poolId, versionId, now()).update();
        }
    }

    void setCanary(String poolId, String versionId, int size) {
        jdbc.sql("update pool_image set canary_version_id = ?, canary_size = ?, updated_at = ? where pool_id = ?")
                .params(versionId, versionId == null ? 0 : size, now(), poolId).update();
    }

    /** Pools whose pin, canary or running rollout uses the version. */
    List<String> poolsUsing(String versionId) {
        return jdbc.sql("""
                        select pool_id from pool_image where version_id = ? or canary_version_id = ?
                        union select pool_id from image_rollout where state = 'RUNNING' and (to_version = ? or from_version = ?)""")
                .params(versionId, versionId, versionId, versionId).query(String.class).list();
    }

    // ------------------------------------------------------------------ desktops

    void recordDesktop(String desktopId, String versionId) {
        int n = jdbc.sql("update desktop_image set version_id = ?, started_at = ? where desktop_id = ?")
                .params(versionId, now(), desktopId).update();
        if (n == 0) {
            jdbc.sql("insert into desktop_image (desktop_id, version_id, started_at) values (?, ?, ?)")
                    .params(desktopId, versionId, now()).update();
        }
    }

    /** Desktop id → the version its machine was last started with, for the live desktops of a pool. */
    Map<String, String> desktopVersions(String poolId) {
        return jdbc.sql("""
                        select di.desktop_id, di.version_id from desktop_image di join desktop d on d.id = di.desktop_id
                        where d.pool_id = ? and d.state <> 'DELETED'""")
                .param(poolId).query((rs, i) -> Map.entry(rs.getString(1), rs.getString(2))).list().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    Optional<String> desktopVersion(String desktopId) {
        return jdbc.sql("select version_id from desktop_image where desktop_id = ?").param(desktopId)
                .query(String.class).optional();
    }

    /** Whether a live desktop was last started with the version. */
    boolean anyDesktopRuns(String versionId) {
        return jdbc.sql("""
                        select count(*) from desktop_image di join desktop d on d.id = di.desktop_id
                        where di.version_id = ? and d.state <> 'DELETED'""")
                .param(versionId).query(Long.class).single() > 0;
    }

    // ------------------------------------------------------------------ rollouts

    void insertRollout(Rollout r) {
        jdbc.sql("""
                        insert into image_rollout (id, pool_id, from_version, to_version, mode, batch_size, grace_s,
                            rollback, state, message, started_by, started_at, ended_at)
                        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(r.id(), r.poolId(), r.from().orElse(null), r.to(), r.mode().name(), r.batchSize(),
                        r.grace().toSeconds(), r.rollback(), r.state().name(), r.message(), r.startedBy(),
                        Timestamp.from(r.startedAt()), r.endedAt().map(Timestamp::from).orElse(null))
                .update();
    }

    Optional<Rollout> running(String poolId) {
        return jdbc.sql("select * from image_rollout where pool_id = ? and state = 'RUNNING'").param(poolId)
                .query(ROLLOUT).optional();
    }

    Optional<Rollout> latest(String poolId) {
        return jdbc.sql("select * from image_rollout where pool_id = ? order by started_at desc").param(poolId)
                .query(ROLLOUT).list().stream().findFirst();
    }

    List<Rollout> allRunning() {
        return jdbc.sql("select * from image_rollout where state = 'RUNNING' order by started_at").query(ROLLOUT)
                .list();
    }

    /** Ends a running rollout (once). */
    boolean end(String rolloutId, Rollout.State state, String message) {
        return jdbc.sql("update image_rollout set state = ?, message = ?, ended_at = ? where id = ? and state = 'RUNNING'")
                .params(state.name(), ImageRepository.clip(message, 1000), now(), rolloutId).update() == 1;
    }

    // ------------------------------------------------------------------ forced log offs

    /** When the desktop's user is logged off by the rollout, if they were told. */
    Optional<Instant> logoffAt(String rolloutId, String desktopId) {
        return jdbc.sql("select logoff_at from rollout_desktop where rollout_id = ? and desktop_id = ?")
                .params(rolloutId, desktopId).query(Timestamp.class).optional().map(Timestamp::toInstant);
    }

    /** Desktop id → log off time, for the desktops told and not yet logged off. */
    Map<String, Instant> pendingLogoffs(String rolloutId) {
        return jdbc.sql("select desktop_id, logoff_at from rollout_desktop where rollout_id = ? and done = false")
                .param(rolloutId).query((rs, i) -> Map.entry(rs.getString(1), rs.getTimestamp(2).toInstant())).list()
                .stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    void notified(String rolloutId, String desktopId, Instant logoffAt) {
        jdbc.sql("insert into rollout_desktop (rollout_id, desktop_id, notified_at, logoff_at, done) values (?, ?, ?, ?, false)")
                .params(rolloutId, desktopId, now(), Timestamp.from(logoffAt)).update();
    }

    void loggedOff(String rolloutId, String desktopId) {
        jdbc.sql("update rollout_desktop set done = true where rollout_id = ? and desktop_id = ?")
                .params(rolloutId, desktopId).update();
    }

    private Timestamp now() {
        return Timestamp.from(clock.instant());
    }
}
