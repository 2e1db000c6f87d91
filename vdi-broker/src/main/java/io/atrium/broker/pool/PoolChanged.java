package io.atrium.broker.pool;

/**
 * Published after a pool was created or changed (size, spares, spec): the provisioner reconciles it.
 * Published after the change committed.
 *
 * @param poolId the pool concerned
 */
public record PoolChanged(String poolId) {
}
