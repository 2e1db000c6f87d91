package io.atrium.broker.transfer;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/** {@code pool_transfer_policy}: one row per pool that has its own policy. */
@Repository
class TransferPolicyRepository {
    private final JdbcClient jdbc;

    TransferPolicyRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<TransferPolicy> find(String poolId) {
        return jdbc.sql("select * from pool_transfer_policy where pool_id = ?").param(poolId)
                .query((rs, i) -> new TransferPolicy(TransferPolicy.ClipboardMode.valueOf(rs.getString("clipboard")),
                        rs.getInt("clipboard_max_bytes"), TransferPolicy.FileMode.valueOf(rs.getString("files")),
                        rs.getLong("file_max_bytes"))).optional();
    }

    /** Inserts or replaces the pool's row (delete + insert: portable between H2 and PostgreSQL). */
    void save(String poolId, TransferPolicy p, Instant at) {
        jdbc.sql("delete from pool_transfer_policy where pool_id = ?").param(poolId).update();
        jdbc.sql("""
                        insert into pool_transfer_policy (pool_id, clipboard, clipboard_max_bytes, files, file_max_bytes,
                        updated_at) values (?, ?, ?, ?, ?, ?)""")
                .params(poolId, p.clipboard().name(), p.clipboardMaxBytes(), p.files().name(), p.fileMaxBytes(),
                        Timestamp.from(at)).update();
    }
}
