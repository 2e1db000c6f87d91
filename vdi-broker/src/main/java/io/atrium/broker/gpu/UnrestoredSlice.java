package io.atrium.broker.gpu;

/**
 * A persisted slice that did not match this host's GPUs at start-up (for example the inventory changed). Its row
 * is kept, it is not in the accounting, and its desktop gets no GPU device until an administrator resolves it.
 */
public record UnrestoredSlice(String sliceId, String desktopId, int gpuIndex, String gpuUuid, String profile,
                              String reason) {
}
