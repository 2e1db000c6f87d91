package io.atrium.broker.image;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A version being published to a pool.
 *
 * @param from      the version the pool pinned before (empty for a pool that had none yet)
 * @param to        the version being published
 * @param batchSize how many desktops are replaced (AT_LOGOFF: idle ones; FORCED: users logged off) at a time
 * @param grace     FORCED: how long users have between the message and their log off
 * @param rollback  whether it republishes the version the pool pinned before
 * @param message   why it ended (FAILED: the first desktop that failed)
 */
public record Rollout(String id, String poolId, Optional<String> from, String to, Mode mode, int batchSize,
                      Duration grace, boolean rollback, State state, String message, String startedBy,
                      Instant startedAt, Optional<Instant> endedAt) {

    /** How users are moved to the new version. */
    public enum Mode {
        /** Idle desktops are replaced at once, busy ones when their user logs off (the default). */
        AT_LOGOFF,
        /** Users are told and, after the grace period, logged off; their desktop is replaced. */
        FORCED
    }

    public enum State { RUNNING, DONE, FAILED, CANCELLED }

    public boolean running() {
        return state == State.RUNNING;
    }
}
