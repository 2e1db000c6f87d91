package io.atrium.broker.session;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Sessions in the database ({@code desktop_session}); every change to an active session is conditional on it being active. */
@Repository
class SessionRepository {
    private static final String SELECT = """
            select s.*, d.name as desktop_name, d.pool_id as pool_id
            from desktop_session s left join desktop d on d.id = s.desktop_id
            """;
    private static final RowMapper<Session> ROW = (rs, i) -> new Session(
            rs.getString("id"), rs.getString("desktop_id"), rs.getString("desktop_name"), rs.getString("pool_id"),
            rs.getString("username"),
            instant(rs, "started_at"), instant(rs, "connected_at"), instant(rs, "disconnected_at"),
            instant(rs, "last_input_at"), instant(rs, "ended_at"),
            rs.getString("end_reason") == null ? null : SessionEndReason.valueOf(rs.getString("end_reason")));

    private final JdbcClient jdbc;

    SessionRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Truncated to what every database keeps (microseconds), so that a stored time is never later than the clock's. */
    private static Timestamp ts(Instant t) {
        return Timestamp.from(t.truncatedTo(ChronoUnit.MICROS));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    void insert(String id, String desktopId, String username, Instant now) {
        jdbc.sql("insert into desktop_session (id, desktop_id, username, started_at) values (?, ?, ?, ?)")
                .params(id, desktopId, username, ts(now)).update();
    }

    Optional<Session> findById(String id) {
        return jdbc.sql(SELECT + " where s.id = ?").param(id).query(ROW).optional();
    }

    Optional<Session> findActiveByDesktop(String desktopId) {
        return jdbc.sql(SELECT + " where s.desktop_id = ? and s.ended_at is null order by s.started_at desc")
                .param(desktopId).query(ROW).list().stream().findFirst();
    }

    List<Session> findActive() {
        return jdbc.sql(SELECT + " where s.ended_at is null order by s.started_at").query(ROW).list();
    }

    /** Active sessions first (oldest first), then ended ones (latest first), at most {@code limit}. */
    List<Session> findRecent(int limit) {
        return find(null, null, limit);
    }

    /**
     * Active sessions first (oldest first), then ended ones (latest first), at most {@code limit}.
     *
     * @param poolId only sessions on desktops of this pool; {@code null} for all
     * @param active only active ({@code true}) or ended ({@code false}) sessions; {@code null} for both
     */
    List<Session> find(String poolId, Boolean active, int limit) {
        String pool = poolId == null ? "" : " and d.pool_id = :pool";
        List<Session> live = Boolean.FALSE.equals(active) ? List.of()
                : query(SELECT + " where s.ended_at is null" + pool + " order by s.started_at, s.id", poolId, limit);
        List<Session> ended = Boolean.TRUE.equals(active) || live.size() >= limit ? List.of()
                : query(SELECT + " where s.ended_at is not null" + pool + " order by s.ended_at desc, s.id",
                        poolId, limit - live.size());
        return Stream.concat(live.stream(), ended.stream()).toList();
    }

    private List<Session> query(String sql, String poolId, int limit) {
        var statement = jdbc.sql(sql + " limit :limit").param("limit", limit);
        if (poolId != null) {
            statement = statement.param("pool", poolId);
        }
        return statement.query(ROW).list();
    }

    boolean markConnected(String id, Instant now) {
        return jdbc.sql("update desktop_session set connected_at = ?, disconnected_at = null where id = ? and ended_at is null")
                .params(ts(now), id).update() == 1;
    }

    boolean markDisconnected(String id, Instant now) {
        return jdbc.sql("""
                        update desktop_session set disconnected_at = ?
                        where id = ? and ended_at is null and connected_at is not null and disconnected_at is null""")
                .params(ts(now), id).update() == 1;
    }

    void recordInput(String id, Instant now) {
        jdbc.sql("update desktop_session set last_input_at = ? where id = ? and ended_at is null")
                .params(ts(now), id).update();
    }

    boolean end(String id, SessionEndReason reason, Instant now) {
        return jdbc.sql("update desktop_session set ended_at = ?, end_reason = ? where id = ? and ended_at is null")
                .params(ts(now), reason.name(), id).update() == 1;
    }
}
