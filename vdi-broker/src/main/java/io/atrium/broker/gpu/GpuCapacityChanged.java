package io.atrium.broker.gpu;

/**
 * Published after something may let more desktops get a GPU (a pool's profile was set, a GPU's mode changed):
 * the provisioner reconciles the pools again. Published outside any transaction.
 *
 * @param poolId the pool concerned, or null for all pools
 */
public record GpuCapacityChanged(String poolId) {
}
