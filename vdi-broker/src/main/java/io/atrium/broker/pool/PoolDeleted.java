package io.atrium.broker.pool;

/**
 * Published after a pool was deleted with its desktops (its rows are gone): what the pool held elsewhere (a lab
 * switch on the host) can go.
 *
 * @param poolId the pool that is gone
 */
public record PoolDeleted(String poolId) {
}
