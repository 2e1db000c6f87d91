package io.atrium.vmm.api;

import java.time.Instant;
import java.util.Objects;

/**
 * Work a host does before it can start machines of an image, in progress: building the image, or preparing the
 * instant-clone template of the image for one machine shape. Reported by {@link MachineHost#preparations()} so that
 * a broker can tell waiting users what is happening.
 *
 * @param kind      what is being prepared
 * @param image     the image's name
 * @param step      the step under way, 1..{@code steps}
 * @param steps     how many steps there are
 * @param doing     what the step does, in words for people ("downloading and installing Debian packages")
 * @param startedAt when the preparation began
 */
public record HostPreparation(Kind kind, String image, int step, int steps, String doing, Instant startedAt) {

    public HostPreparation {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(doing, "doing");
        Objects.requireNonNull(startedAt, "startedAt");
        if (steps < 1 || step < 1 || step > steps) {
            throw new IllegalArgumentException("step " + step + " of " + steps);
        }
    }

    /** What is being prepared. */
    public enum Kind {
        /** The guest image is built (minutes, once per image version). */
        IMAGE_BUILD,
        /** A golden machine boots and its running state is saved as the instant-clone template. */
        TEMPLATE
    }
}
