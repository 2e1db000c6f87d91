package io.atrium.broker.desktop;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Desktops in the database. State changes are conditional updates ("compare and set" on the
 * current state), which is what makes assignment safe under concurrency without locks.
 *
 * <p>Every state change goes through {@link #transition} (or {@link #assign}, which is READY → ASSIGNED), and
 * {@link #transition} refuses what {@link DesktopState#canBecome} forbids: the database never holds a desktop that
 * made an illegal step.
 */
@Repository
class DesktopRepository {
    private static final RowMapper<Desktop> ROW = (rs, i) -> new Desktop(
            rs.getString("id"), rs.getString("pool_id"), rs.getString("name"),
            DesktopState.valueOf(rs.getString("state")), rs.getString("assigned_user"), rs.getString("mac"),
            rs.getString("state_reason"), rs.getLong("version"), rs.getTimestamp("created_at").toInstant(),
            rs.getTimestamp("updated_at").toInstant());

    private final JdbcClient jdbc;
    private final Clock clock;

    DesktopRepository(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    Optional<Desktop> findById(String id) {
        return jdbc.sql("select * from desktop where id = ?").param(id).query(ROW).optional();
    }

    /** By name: the name of its machine on the host (names are unique, also those of deleted desktops). */
    Optional<Desktop> findByName(String name) {
        return jdbc.sql("select * from desktop where name = ?").param(name).query(ROW).optional();
    }

    List<Desktop> findByPool(String poolId) {
        return jdbc.sql("select * from desktop where pool_id = ? and state <> 'DELETED' order by name")
                .param(poolId).query(ROW).list();
    }

    List<Desktop> findAllLive() {
        return jdbc.sql("select * from desktop where state <> 'DELETED' order by name").query(ROW).list();
    }

    List<Desktop> findAssignedTo(String user) {
        return jdbc.sql("select * from desktop where assigned_user = ? and state <> 'DELETED' order by name")
                .param(user).query(ROW).list();
    }

    Optional<Desktop> findAssigned(String poolId, String user) {
        return jdbc.sql("select * from desktop where pool_id = ? and assigned_user = ? and state <> 'DELETED'")
                .params(poolId, user).query(ROW).optional();
    }

    List<String> findReadyIds(String poolId) {
        return jdbc.sql("select id from desktop where pool_id = ? and state = 'READY' and assigned_user is null order by name")
                .param(poolId).query(String.class).list();
    }

    /** Every name a desktop of the pool has or had (deleted rows keep theirs, and names are unique). */
    List<String> namesOfPool(String poolId) {
        return jdbc.sql("select name from desktop where pool_id = ?").param(poolId).query(String.class).list();
    }

    /** Removes every desktop row of the pool; all must be DELETED and hold no GPU slice. */
    void deleteRowsOfPool(String poolId) {
        jdbc.sql("delete from desktop where pool_id = ? and state = 'DELETED'").param(poolId).update();
    }

    void insert(Desktop d) {
        jdbc.sql("""
                        insert into desktop (id, pool_id, name, state, assigned_user, mac, state_reason, version, created_at, updated_at)
                        values (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)""")
                .params(d.id(), d.poolId(), d.name(), d.state().name(), d.assignedUser(), d.mac(), d.stateReason(),
                        Timestamp.from(d.createdAt()), Timestamp.from(d.updatedAt()))
                .update();
    }

    /** Takes a READY, unassigned desktop for {@code user}; false if someone else was faster. */
    boolean assign(String id, String user) {
        return jdbc.sql("""
                        update desktop set state = 'ASSIGNED', assigned_user = ?, version = version + 1, updated_at = ?
                        where id = ? and state = 'READY' and assigned_user is null""")
                .params(user, now(), id).update() == 1;
    }

    /**
     * Moves the desktop to {@code to} if it is in one of {@code from}; the assignment is kept,
     * set or cleared as {@code user} says.
     *
     * @return false if the desktop is in none of {@code from} (another caller was faster, or the state does not
     *         allow it: the caller decides whether that is an error)
     * @throws IllegalTransitionException if a state in {@code from} cannot become {@code to}
     *                                    ({@link DesktopState#canBecome}); nothing is written
     */
    boolean transition(String id, Collection<DesktopState> from, DesktopState to, UserChange user, String reason) {
        for (DesktopState s : from) {
            if (!s.canBecome(to)) {
                throw new IllegalTransitionException(s, to,
                        "Desktop " + id + ": the state table does not allow " + s + " -> " + to);
            }
        }
        if (from.isEmpty()) {
            return false;
        }
        String states = String.join(",", from.stream().map(s -> "'" + s.name() + "'").toList());
        String userSql = switch (user.kind()) {
            case KEEP -> "assigned_user";
            case CLEAR -> "null";
            case SET -> "?";
        };
        var spec = jdbc.sql("update desktop set state = ?, assigned_user = " + userSql
                        + ", state_reason = ?, version = version + 1, updated_at = ? where id = ? and state in (" + states + ")");
        List<Object> ordered = new ArrayList<>();
        ordered.add(to.name());
        if (user.kind() == UserChange.Kind.SET) {
            ordered.add(user.user());
        }
        ordered.add(reason);
        ordered.add(now());
        ordered.add(id);
        return spec.params(ordered).update() == 1;
    }

    private Timestamp now() {
        return Timestamp.from(clock.instant());
    }

    /** What a transition does to the desktop's user. */
    record UserChange(Kind kind, String user) {
        enum Kind { KEEP, CLEAR, SET }

        static final UserChange KEEP = new UserChange(Kind.KEEP, null);
        static final UserChange CLEAR = new UserChange(Kind.CLEAR, null);

        static UserChange set(String user) {
            return new UserChange(Kind.SET, user);
        }
    }
}
