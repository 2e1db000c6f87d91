package io.atrium.broker.gpu;

/** Who holds a GPU slice: a desktop of a pool. */
public record SliceHolder(String sliceId, String desktopId, String desktopName, String poolId, String poolName) {
}
