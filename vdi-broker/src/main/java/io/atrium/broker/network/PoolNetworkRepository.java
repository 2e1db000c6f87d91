package io.atrium.broker.network;

import io.atrium.vmm.api.MachineSpec.NetworkMode;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Optional;

/** Pools' networks in the database (table {@code pool_network}, {@code V11_1__pool_network.sql}). */
@Repository
class PoolNetworkRepository {
    private final JdbcClient jdbc;

    PoolNetworkRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<PoolNetwork> find(String poolId) {
        return jdbc.sql("select * from pool_network where pool_id = ?").param(poolId).query(PoolNetworkRepository::row)
                .optional();
    }

    List<PoolNetwork> findAll() {
        return jdbc.sql("select * from pool_network order by pool_id").query(PoolNetworkRepository::row).list();
    }

    /** The switch ids of every lab pool. */
    List<String> labSwitchIds() {
        return jdbc.sql("select switch_id from pool_network where mode = 'LAB' and switch_id is not null")
                .query(String.class).list();
    }

    /** Inserts or replaces the pool's network (the pool must exist). */
    @Transactional
    void save(PoolNetwork n) {
        int updated = jdbc.sql("""
                        update pool_network set mode = ?, subnet = ?, gateway = ?, dhcp_first = ?, dhcp_last = ?,
                        nat = ?, switch_id = ?, updated_at = ? where pool_id = ?""")
                .params(n.mode().name(), n.subnet(), n.gateway(), n.dhcpFirst(), n.dhcpLast(), n.nat(), n.switchId(),
                        Timestamp.from(n.updatedAt()), n.poolId())
                .update();
        if (updated == 0) {
            jdbc.sql("""
                            insert into pool_network (pool_id, mode, subnet, gateway, dhcp_first, dhcp_last, nat,
                                                      switch_id, updated_at)
                            values (?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                    .params(n.poolId(), n.mode().name(), n.subnet(), n.gateway(), n.dhcpFirst(), n.dhcpLast(), n.nat(),
                            n.switchId(), Timestamp.from(n.updatedAt()))
                    .update();
        }
    }

    private static PoolNetwork row(ResultSet rs, int i) throws SQLException {
        return new PoolNetwork(rs.getString("pool_id"), NetworkMode.valueOf(rs.getString("mode")),
                rs.getString("subnet"), rs.getString("gateway"), rs.getString("dhcp_first"), rs.getString("dhcp_last"),
                rs.getBoolean("nat"), rs.getString("switch_id"), rs.getTimestamp("updated_at").toInstant());
    }
}
