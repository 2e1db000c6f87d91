package io.atrium.broker.image;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The life of an image version. {@link #canBecome} is the only place that says which steps are legal;
 * {@code ImageRepository.transition} refuses any other with an {@link IllegalVersionTransitionException} and applies
 * a legal one with a conditional update (so two racing callers cannot both take a version out of one state).
 *
 * <pre>
 *  UPLOADING ─▶ VALIDATING ─▶ DRAFT ─▶ SEALING ─▶ SEALED ─▶ TESTING ─▶ READY ─▶ PUBLISHED ⇄ SUPERSEDED ─▶ RETIRED
 *  BUILDING (install, edit) ─────────▶ SEALING        VALIDATING ─▶ READY (an install medium)
 *  every step that works ─▶ FAILED (with a reason and the log) ─▶ TESTING (again) | RETIRED
 * </pre>
 */
public enum VersionState {
    /** An upload is being received (resumable). */
    UPLOADING,
    /** A draft machine runs: an installation from a medium, or a clone of a version being edited. */
    BUILDING,
    /** The upload is being validated and converted on the host. */
    VALIDATING,
    /** A validated upload waiting to be sealed. */
    DRAFT,
    /** The draft's guest is being sealed and its disk committed. */
    SEALING,
    /** Committed: its content no longer changes. */
    SEALED,
    /** Its boot test runs. */
    TESTING,
    /** Boot-tested (and its instant-clone template saved when it has an agent); can be published. */
    READY,
    /** Pinned by a pool (or its canary, or a rollout's target). */
    PUBLISHED,
    /** No longer published; its files and template stay, so a rollback is fast. */
    SUPERSEDED,
    /** Gone for good: files and templates removed. */
    RETIRED,
    /** A step failed; the reason and the log say which. */
    FAILED;

    /** In progress: a job of the image library works on it (interrupted by a restart: FAILED). */
    public static final Set<VersionState> WORKING = Collections.unmodifiableSet(
            EnumSet.of(VALIDATING, SEALING, TESTING));

    /** Can be pinned by a pool. */
    public static final Set<VersionState> PUBLISHABLE = Collections.unmodifiableSet(
            EnumSet.of(READY, PUBLISHED, SUPERSEDED));

    private Set<VersionState> next() {
        return switch (this) {
            case UPLOADING -> EnumSet.of(VALIDATING, FAILED, RETIRED);
            case BUILDING -> EnumSet.of(SEALING, FAILED, RETIRED);
            case VALIDATING -> EnumSet.of(DRAFT, READY, FAILED);
            case DRAFT -> EnumSet.of(SEALING, FAILED, RETIRED);
            case SEALING -> EnumSet.of(SEALED, FAILED);
            case SEALED -> EnumSet.of(TESTING, FAILED, RETIRED);
            case TESTING -> EnumSet.of(READY, FAILED);
            case READY -> EnumSet.of(PUBLISHED, TESTING, RETIRED);
            case PUBLISHED -> EnumSet.of(SUPERSEDED);
            case SUPERSEDED -> EnumSet.of(PUBLISHED, RETIRED);
            case FAILED -> EnumSet.of(TESTING, RETIRED);
            case RETIRED -> EnumSet.noneOf(VersionState.class);
        };
    }

    public boolean canBecome(VersionState to) {
        return next().contains(to);
    }

    /** Every state from which {@code to} may be reached. */
    public static Set<VersionState> predecessorsOf(VersionState to) {
        Set<VersionState> from = EnumSet.noneOf(VersionState.class);
        for (VersionState s : values()) {
            if (s.canBecome(to)) {
                from.add(s);
            }
        }
        return from;
    }
}
