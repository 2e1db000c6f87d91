package io.atrium.vmm;

import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What this host is preparing right now: image builds and instant-clone templates, each with the step it is on, so
 * that people waiting for a desktop can be told. Thread safe; tasks are removed when closed.
 */
public final class Progress {

    /** What a task prepares. */
    public enum Kind {
        /** A guest image is built. */
        IMAGE_BUILD,
        /** An instant-clone template is made (a golden VM boots and its state is saved). */
        TEMPLATE
    }

    /**
     * A task as seen at one moment.
     *
     * @param kind      what it prepares
     * @param subject   the image's name
     * @param step      the step under way, 1..steps
     * @param steps     how many steps it has
     * @param doing     the step in words
     * @param startedAt when it began
     */
    public record Snapshot(Kind kind, String subject, int step, int steps, String doing, Instant startedAt) {
    }

    private final Clock clock;
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentHashMap<Long, Snapshot> running = new ConcurrentHashMap<>();

    public Progress() {
        this(Clock.systemUTC());
    }

    public Progress(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Starts a task at step 1; close it when it ends, however it ends. */
    public Task begin(Kind kind, String subject, int steps, String doing) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(subject, "subject");
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be at least 1: " + steps);
        }
        long id = ids.incrementAndGet();
        Task task = new Task(id, kind, subject, steps, clock.instant());
        task.step(1, doing);
        return task;
    }

    /** The tasks under way, oldest first. */
    public List<Snapshot> running() {
        return running.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey()).map(java.util.Map.Entry::getValue)
                .sorted(Comparator.comparing(Snapshot::startedAt)).toList();
    }

    /** One task; {@link #close()} removes it. */
    public final class Task implements AutoCloseable {
        private final long id;
        private final Kind kind;
        private final String subject;
        private final int steps;
        private final Instant startedAt;

        private Task(long id, Kind kind, String subject, int steps, Instant startedAt) {
            this.id = id;
            this.kind = kind;
            this.subject = subject;
            this.steps = steps;
            this.startedAt = startedAt;
        }

        /** The task is now at {@code step} (1..steps), doing {@code doing}. */
        public void step(int step, String doing) {
            if (step < 1 || step > steps) {
                throw new IllegalArgumentException("step " + step + " of " + steps);
            }
            running.put(id, new Snapshot(kind, subject, step, steps, Objects.requireNonNull(doing, "doing"), startedAt));
        }

        @Override
        public void close() {
            running.remove(id);
        }
    }
}
