package io.atrium.broker.desktop;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * What the provisioner remembers about a desktop across restarts (table {@code desktop_recovery}): its failed starts
 * in a row, which drive the backoff, and the user whose pooled desktop was taken away because its VM died (so they
 * are told why). A row is made on first use and goes with its desktop.
 */
@Repository
class RecoveryRepository {
    private final JdbcClient jdbc;

    RecoveryRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Counts one more failed start; returns the failures in a row so far. */
    int recordFailure(String desktopId) {
        upsert(desktopId, "failures = failures + 1", "failures", 1);
        return failures(desktopId);
    }

    /** The desktop started (or an administrator started it afresh): the backoff begins again. */
    void clearFailures(String desktopId) {
        jdbc.sql("update desktop_recovery set failures = 0 where desktop_id = ?").param(desktopId).update();
    }

    int failures(String desktopId) {
        return jdbc.sql("select failures from desktop_recovery where desktop_id = ?").param(desktopId)
                .query(Integer.class).optional().orElse(0);
    }

    /** The desktop's VM died while it was {@code user}'s; they are told so when they look for it. */
    void recordLost(String desktopId, String user) {
        String update = "update desktop_recovery set lost_by = ?, lost_at = current_timestamp where desktop_id = ?";
        if (jdbc.sql(update).params(user, desktopId).update() == 0) {
            try {
                jdbc.sql("insert into desktop_recovery (desktop_id, failures, lost_by, lost_at)"
                        + " values (?, 0, ?, current_timestamp)").params(desktopId, user).update();
            } catch (DuplicateKeyException raced) {
                jdbc.sql(update).params(user, desktopId).update();
            }
        }
    }

    /** Whether the desktop was taken from {@code user} because its VM died. */
    boolean wasLostBy(String desktopId, String user) {
        return jdbc.sql("select count(*) from desktop_recovery where desktop_id = ? and lost_by = ?")
                .params(desktopId, user).query(Integer.class).single() > 0;
    }

    private void upsert(String desktopId, String update, String column, int initial) {
        if (jdbc.sql("update desktop_recovery set " + update + " where desktop_id = ?").param(desktopId).update() == 0) {
            try {
                jdbc.sql("insert into desktop_recovery (desktop_id, " + column + ") values (?, ?)")
                        .params(desktopId, initial).update();
            } catch (DuplicateKeyException raced) {
                jdbc.sql("update desktop_recovery set " + update + " where desktop_id = ?").param(desktopId).update();
            }
        }
    }
}
