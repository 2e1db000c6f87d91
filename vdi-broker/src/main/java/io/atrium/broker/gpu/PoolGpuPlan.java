package io.atrium.broker.gpu;

/**
 * How far a pool with a GPU profile got: how many of its desktops hold a slice, of how many it wants, and why
 * the rest could not be placed.
 *
 * @param profile   the GPU profile every desktop of the pool gets ({@code 3g.40gb}); null when the pool has none
 * @param placed    live desktops of the pool holding a slice
 * @param wanted    the pool's size
 * @param reason    why {@code placed < wanted} (the GPU refusal of the last attempt); null when all are placed
 * @param simulated true when every slice the pool holds is on a simulated GPU (accounting only, no device)
 */
public record PoolGpuPlan(String poolId, String poolName, String profile, int placed, int wanted, String reason,
                          boolean simulated) {

    /** {@code placed 3 of 5 desktops: <reason>} or {@code placed 5 of 5 desktops}. */
    public String summary() {
        if (profile == null) {
            return "no GPU";
        }
        String s = "placed " + placed + " of " + wanted + " desktop" + (wanted == 1 ? "" : "s");
        return reason == null ? s : s + ": " + reason;
    }
}
