package io.atrium.broker.gpu;

import io.atrium.vmm.gpu.GpuMode;
import io.atrium.vmm.gpu.GpuSlice;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** GPU profiles of pools, slices of desktops and chosen GPU modes in the database (plain SQL for H2 and PostgreSQL). */
@Repository
class GpuRepository {
    private static final RowMapper<GpuSlice> SLICE = (rs, i) -> new GpuSlice(rs.getString("id"),
            rs.getInt("gpu_index"), rs.getString("gpu_uuid"), GpuMode.valueOf(rs.getString("mode")),
            rs.getString("profile"), rs.getInt("start_slice"), rs.getInt("size_slices"), rs.getString("desktop_id"),
            rs.getBoolean("simulated"));

    private final JdbcClient jdbc;

    GpuRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<String> profileOf(String poolId) {
        return jdbc.sql("select profile from pool_gpu where pool_id = ?").param(poolId).query(String.class).optional();
    }

    /** Profile by pool id, for every pool that has one. */
    Map<String, String> profiles() {
        return jdbc.sql("select pool_id, profile from pool_gpu").query((rs, i) -> Map.entry(rs.getString(1),
                rs.getString(2))).list().stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    Optional<String> shortfallOf(String poolId) {
        return jdbc.sql("select shortfall from pool_gpu where pool_id = ?").param(poolId)
                .query((rs, i) -> Optional.ofNullable(rs.getString(1))).optional().flatMap(o -> o);
    }

    void setProfile(String poolId, String profile, Instant now) {
        int updated = jdbc.sql("update pool_gpu set profile = ?, shortfall = null, updated_at = ? where pool_id = ?")
                .params(profile, Timestamp.from(now), poolId).update();
        if (updated == 0) {
            jdbc.sql("insert into pool_gpu (pool_id, profile, shortfall, updated_at) values (?, ?, null, ?)")
                    .params(poolId, profile, Timestamp.from(now)).update();
        }
    }

    void clearProfile(String poolId) {
        jdbc.sql("delete from pool_gpu where pool_id = ?").param(poolId).update();
    }

    void setShortfall(String poolId, String reason, Instant now) {
        jdbc.sql("update pool_gpu set shortfall = ?, updated_at = ? where pool_id = ?")
                .params(truncate(reason), Timestamp.from(now), poolId).update();
    }

    void insert(GpuSlice slice, String desktopId, Instant now) {
        jdbc.sql("""
                        insert into gpu_slice (id, desktop_id, gpu_index, gpu_uuid, mode, profile, start_slice,
                                               size_slices, simulated, created_at)
                        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(slice.id(), desktopId, slice.gpuIndex(), slice.gpuUuid(), slice.mode().name(),
                        slice.profile(), slice.start(), slice.size(), slice.simulated(), Timestamp.from(now))
                .update();
    }

    Optional<GpuSlice> findByDesktop(String desktopId) {
        return jdbc.sql("select * from gpu_slice where desktop_id = ?").param(desktopId).query(SLICE).optional();
    }

    /** Every persisted slice, in the order they were made (the owner is the desktop id). */
    List<GpuSlice> findAll() {
        return jdbc.sql("select * from gpu_slice order by created_at, id").query(SLICE).list();
    }

    boolean deleteByDesktop(String desktopId) {
        return jdbc.sql("delete from gpu_slice where desktop_id = ?").param(desktopId).update() == 1;
    }

    /** Slice id to its holder, for every slice. */
    Map<String, SliceHolder> holders() {
        return jdbc.sql("""
                        select s.id, d.id as desktop_id, d.name as desktop_name, p.id as pool_id, p.name as pool_name
                        from gpu_slice s join desktop d on d.id = s.desktop_id join pool p on p.id = d.pool_id""")
                .query((rs, i) -> new SliceHolder(rs.getString("id"), rs.getString("desktop_id"),
                        rs.getString("desktop_name"), rs.getString("pool_id"), rs.getString("pool_name")))
                .list().stream().collect(Collectors.toMap(SliceHolder::sliceId, h -> h));
    }

    /** Slices held by live desktops of the pool. */
    List<GpuSlice> slicesOfPool(String poolId) {
        return jdbc.sql("""
                        select s.* from gpu_slice s join desktop d on d.id = s.desktop_id
                        where d.pool_id = ? and d.state <> 'DELETED' order by s.created_at, s.id""")
                .param(poolId).query(SLICE).list();
    }

    /** Live desktops of the pool that hold no slice, by name. */
    List<String> desktopsWithoutSlice(String poolId) {
        return jdbc.sql("""
                        select d.id from desktop d
                        where d.pool_id = ? and d.state <> 'DELETED'
                          and not exists (select 1 from gpu_slice s where s.desktop_id = d.id)
                        order by d.name""")
                .param(poolId).query(String.class).list();
    }

    boolean desktopExists(String desktopId) {
        return jdbc.sql("select count(*) from desktop where id = ?").param(desktopId).query(Integer.class).single() > 0;
    }

    /** Mode by GPU UUID, as chosen by an administrator. */
    Map<String, GpuMode> modes() {
        return jdbc.sql("select gpu_uuid, mode from gpu_mode").query((rs, i) -> Map.entry(rs.getString(1),
                GpuMode.valueOf(rs.getString(2)))).list().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    void setMode(String gpuUuid, GpuMode mode, Instant now) {
        int updated = jdbc.sql("update gpu_mode set mode = ?, updated_at = ? where gpu_uuid = ?")
                .params(mode.name(), Timestamp.from(now), gpuUuid).update();
        if (updated == 0) {
            jdbc.sql("insert into gpu_mode (gpu_uuid, mode, updated_at) values (?, ?, ?)")
                    .params(gpuUuid, mode.name(), Timestamp.from(now)).update();
        }
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 1000 ? s : s.substring(0, 997) + "...";
    }
}
