package io.atrium.broker.image;

import io.atrium.broker.desktop.DesktopState;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A pool's image: what it pins, its canary, its rollout and, per desktop, the version it runs.
 *
 * @param pinned         the version the pool pins
 * @param canary         the canary version on {@code canarySize} desktops, if any
 * @param rollout        the running rollout, or else the last one
 * @param rollbackTarget the version a rollback would republish, if there is one
 * @param desktops       every live desktop with the version it runs and where it is in the rollout
 */
public record RolloutStatus(String poolId, String poolName, String imageName, boolean personal,
                            Optional<ImageVersion> pinned, Optional<ImageVersion> canary, int canarySize,
                            Optional<Rollout> rollout, Optional<ImageVersion> rolloutTarget,
                            Optional<ImageVersion> rollbackTarget, List<DesktopProgress> desktops) {

    /**
     * One desktop in a rollout.
     *
     * @param version  the version its machine was last started with
     * @param logoffAt a forced rollout told its user they are logged off at this time
     */
    public record DesktopProgress(String desktopId, String name, DesktopState state, String user,
                                  Optional<String> version, Optional<String> versionLabel, Progress progress,
                                  Optional<Instant> logoffAt) {
    }

    /** Where a desktop is. */
    public enum Progress {
        /** Runs the version the pool is moving away from (or another one). */
        OLD,
        /** Runs the version being published (or the pinned one, without a rollout). */
        NEW,
        /** Its machine failed on the version being published. */
        FAILED,
        /** Runs the pool's canary version. */
        CANARY,
        /** A forced rollout told its user; logged off at {@code logoffAt}. */
        NOTIFIED,
        /** A personal desktop: it keeps its disk and is never recreated by a rollout. */
        KEPT
    }

    /** How many desktops run the new version, of those a rollout moves (personal ones aside). */
    public long done() {
        return desktops.stream().filter(d -> d.progress() == Progress.NEW).count();
    }

    public long moving() {
        return desktops.stream().filter(d -> d.progress() != Progress.KEPT && d.progress() != Progress.CANARY).count();
    }
}
