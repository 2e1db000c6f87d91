package io.atrium.broker.pool;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Pools and their entitlements in the database. */
@Repository
public class PoolRepository {
    private final JdbcClient jdbc;

    PoolRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** All pools with their entitlements: two queries, whatever the number of pools. */
    public List<Pool> findAll() {
        Map<String, List<String>> entitled = new HashMap<>();
        jdbc.sql("select pool_id, principal from entitlement order by principal").query((rs, i) ->
                entitled.computeIfAbsent(rs.getString("pool_id"), k -> new ArrayList<>()).add(rs.getString("principal")))
                .list();
        return jdbc.sql("select * from pool order by name").query((rs, i) -> new Pool(
                rs.getString("id"), rs.getString("name"), PoolKind.valueOf(rs.getString("kind")),
                rs.getString("image"), rs.getInt("vcpus"), rs.getInt("memory_mb"),
                rs.getInt("min_size"), rs.getInt("max_size"), rs.getInt("spares"),
                entitled.getOrDefault(rs.getString("id"), List.of()),
                Duration.ofSeconds(rs.getLong("idle_timeout_s")), Duration.ofSeconds(rs.getLong("disconnect_grace_s")),
                Duration.ofSeconds(rs.getLong("max_session_s")), rs.getTimestamp("created_at").toInstant())).list();
    }

    public Optional<Pool> findById(String id) {
        return findAll().stream().filter(p -> p.id().equals(id)).findFirst();
    }

    public Optional<Pool> findByName(String name) {
        return findAll().stream().filter(p -> p.name().equals(name)).findFirst();
    }

    @Transactional
    public void save(Pool pool) {
        int updated = jdbc.sql("""
                        update pool set name = ?, kind = ?, image = ?, vcpus = ?, memory_mb = ?, min_size = ?,
                        max_size = ?, spares = ?, idle_timeout_s = ?, disconnect_grace_s = ?, max_session_s = ?
                        where id = ?""")
                .params(pool.name(), pool.kind().name(), pool.image(), pool.vcpus(), pool.memoryMb(),
                        pool.minSize(), pool.maxSize(), pool.spares(), pool.idleTimeout().toSeconds(),
                        pool.disconnectGrace().toSeconds(), pool.maxSessionLength().toSeconds(), pool.id())
                .update();
        if (updated == 0) {
            jdbc.sql("""
                            insert into pool (id, name, kind, image, vcpus, memory_mb, min_size, max_size, spares,
                                              idle_timeout_s, disconnect_grace_s, max_session_s, created_at)
                            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                    .params(pool.id(), pool.name(), pool.kind().name(), pool.image(), pool.vcpus(),
                            pool.memoryMb(), pool.minSize(), pool.maxSize(), pool.spares(),
                            pool.idleTimeout().toSeconds(), pool.disconnectGrace().toSeconds(),
                            pool.maxSessionLength().toSeconds(), Timestamp.from(pool.createdAt()))
                    .update();
        }
        jdbc.sql("delete from entitlement where pool_id = ?").param(pool.id()).update();
        for (String principal : pool.entitled()) {
            jdbc.sql("insert into entitlement (pool_id, principal) values (?, ?)")
                    .params(pool.id(), principal).update();
        }
    }

    /** Deletes the pool row (entitlements and GPU profile go with it); its desktop rows must be gone already. */
    @Transactional
    public void delete(String id) {
        jdbc.sql("delete from entitlement where pool_id = ?").param(id).update();
        jdbc.sql("delete from pool where id = ?").param(id).update();
    }
}
