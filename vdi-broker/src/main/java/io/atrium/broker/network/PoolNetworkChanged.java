package io.atrium.broker.network;

/**
 * Published after a pool's network was set and committed. New desktops get it at once; the provisioner refreshes the
 * pool's idle desktops (READY, unassigned, pooled) so that they get it too; desktops in use get it at their refresh
 * (log off), personal desktops at their next start.
 */
public record PoolNetworkChanged(String poolId) {
}
