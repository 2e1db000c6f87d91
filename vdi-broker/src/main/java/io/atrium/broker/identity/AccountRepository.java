package io.atrium.broker.identity;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Accounts, groups and memberships in the database. Package-private: services decide who may change what. */
@Repository
class AccountRepository {
    /** A row of {@code app_user}, secrets included: never leaves this package. */
    record Row(String username, String displayName, AccountSource source, String passwordHash, boolean enabled,
               boolean admin, boolean mustChangePassword, String totpSecret, boolean totpEnabled, long totpLastStep,
               Instant createdAt, Instant lastLoginAt) {
        @Override
        public String toString() {
            return "Row[" + username + ", " + source + "]";
        }
    }

    private final JdbcClient jdbc;

    AccountRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    private static Row row(ResultSet rs, int i) throws SQLException {
        Timestamp last = rs.getTimestamp("last_login_at");
        return new Row(rs.getString("username"), rs.getString("display_name"),
                AccountSource.valueOf(rs.getString("source")), rs.getString("password_hash"), rs.getBoolean("enabled"),
                rs.getBoolean("admin"), rs.getBoolean("must_change_password"), rs.getString("totp_secret"),
                rs.getBoolean("totp_enabled"), rs.getLong("totp_last_step"), rs.getTimestamp("created_at").toInstant(),
                last == null ? null : last.toInstant());
    }

    Optional<Row> find(String username) {
        if (username == null) {
            return Optional.empty();
        }
        return jdbc.sql("select * from app_user where username = ?").param(username).query(AccountRepository::row)
                .optional();
    }

    List<Row> all() {
        return jdbc.sql("select * from app_user order by username").query(AccountRepository::row).list();
    }

    long count() {
        return jdbc.sql("select count(*) from app_user").query(Long.class).single();
    }

    void insert(Row r) {
        jdbc.sql("""
                        insert into app_user (username, display_name, source, password_hash, enabled, admin,
                            must_change_password, totp_secret, totp_enabled, totp_last_step, created_at, last_login_at)
                        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(r.username(), r.displayName(), r.source().name(), r.passwordHash(), r.enabled(), r.admin(),
                        r.mustChangePassword(), r.totpSecret(), r.totpEnabled(), r.totpLastStep(),
                        Timestamp.from(r.createdAt()), r.lastLoginAt() == null ? null : Timestamp.from(r.lastLoginAt()))
                .update();
    }

    boolean update(String username, String column, Object value) {
        if (!List.of("display_name", "password_hash", "enabled", "admin", "must_change_password", "totp_secret",
                "totp_enabled", "totp_last_step", "last_login_at").contains(column)) {
            throw new IllegalArgumentException(column);
        }
        return jdbc.sql("update app_user set " + column + " = ? where username = ?").params(value, username).update() > 0;
    }

    /** Records the step of an accepted TOTP code, only if it is newer than the last one (a replay loses). */
    boolean advanceTotpStep(String username, long step) {
        return jdbc.sql("update app_user set totp_last_step = ? where username = ? and totp_last_step < ?")
                .params(step, username, step).update() > 0;
    }

    /** Sets last_login_at if it is older than {@code olderThan} (or unset); true if it did (rate-limits writes). */
    boolean touchLogin(String username, Instant now, Instant olderThan) {
        return jdbc.sql("update app_user set last_login_at = ? where username = ? and (last_login_at is null or last_login_at < ?)")
                .params(Timestamp.from(now), username, Timestamp.from(olderThan)).update() > 0;
    }

    boolean delete(String username) {
        return jdbc.sql("delete from app_user where username = ?").param(username).update() > 0;
    }

    Set<String> groupsOf(String username) {
        return new TreeSet<>(jdbc.sql("select distinct group_name from group_member where username = ?").param(username)
                .query(String.class).list());
    }

    Map<String, Set<String>> groupsOfAll() {
        Map<String, Set<String>> byUser = new HashMap<>();
        jdbc.sql("select username, group_name from group_member").query((rs, i) ->
                byUser.computeIfAbsent(rs.getString(1), k -> new TreeSet<>()).add(rs.getString(2))).list();
        return byUser;
    }

    Set<String> localGroupsOf(String username) {
        return new TreeSet<>(jdbc.sql("select group_name from group_member where username = ? and source = 'LOCAL'")
                .param(username).query(String.class).list());
    }

    /** Replaces the user's memberships from one source. */
    @Transactional
    void replaceGroups(String username, AccountSource source, Collection<String> groups) {
        jdbc.sql("delete from group_member where username = ? and source = ?").params(username, source.name()).update();
        for (String g : new LinkedHashSet<>(groups)) {
            jdbc.sql("insert into group_member (group_name, username, source) values (?, ?, ?)")
                    .params(g, username, source.name()).update();
        }
    }

    record GroupRow(String name, String description, Instant createdAt) {
    }

    List<GroupRow> groups() {
        return jdbc.sql("select * from app_group order by name")
                .query((rs, i) -> new GroupRow(rs.getString("name"), rs.getString("description"),
                        rs.getTimestamp("created_at").toInstant())).list();
    }

    Optional<GroupRow> group(String name) {
        return jdbc.sql("select * from app_group where name = ?").param(name)
                .query((rs, i) -> new GroupRow(rs.getString("name"), rs.getString("description"),
                        rs.getTimestamp("created_at").toInstant())).optional();
    }

    void insertGroup(String name, String description, Instant at) {
        jdbc.sql("insert into app_group (name, description, created_at) values (?, ?, ?)")
                .params(name, description, Timestamp.from(at)).update();
    }

    /** Deletes the group and its local memberships; returns the users who were members. */
    @Transactional
    List<String> deleteGroup(String name) {
        List<String> members = jdbc.sql("select username from group_member where group_name = ? and source = 'LOCAL'")
                .param(name).query(String.class).list();
        jdbc.sql("delete from group_member where group_name = ? and source = 'LOCAL'").param(name).update();
        jdbc.sql("delete from app_group where name = ?").param(name).update();
        return members;
    }

    List<String> membersOf(String group) {
        return jdbc.sql("select distinct username from group_member where group_name = ? order by username")
                .param(group).query(String.class).list();
    }

    // ---- recovery codes

    @Transactional
    void replaceRecoveryCodes(String username, Collection<String> hashes) {
        jdbc.sql("delete from recovery_code where username = ?").param(username).update();
        for (String h : hashes) {
            jdbc.sql("insert into recovery_code (username, code_hash) values (?, ?)").params(username, h).update();
        }
    }

    /** Marks an unused recovery code used; true if it was one. */
    boolean useRecoveryCode(String username, String hash, Instant at) {
        return jdbc.sql("update recovery_code set used_at = ? where username = ? and code_hash = ? and used_at is null")
                .params(Timestamp.from(at), username, hash).update() > 0;
    }

    int unusedRecoveryCodes(String username) {
        return jdbc.sql("select count(*) from recovery_code where username = ? and used_at is null").param(username)
                .query(Integer.class).single();
    }

    // ---- settings

    Optional<String> setting(String name) {
        return jdbc.sql("select setting_value from identity_setting where setting_name = ?").param(name).query(String.class).optional();
    }

    @Transactional
    void setSetting(String name, String value) {
        if (jdbc.sql("update identity_setting set setting_value = ? where setting_name = ?").params(value, name).update() == 0) {
            jdbc.sql("insert into identity_setting (setting_name, setting_value) values (?, ?)").params(name, value).update();
        }
    }
}
