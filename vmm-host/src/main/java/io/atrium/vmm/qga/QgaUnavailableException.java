package io.atrium.vmm.qga;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Nothing answered {@code guest-sync-delimited} on the guest agent channel within the timeout: the
 * guest does not run {@code qemu-ga} (an image without it, an agent not started yet, a guest that
 * is still booting or is paused). A {@link QgaTimeoutException}, so callers that handle timeouts
 * handle this too.
 */
public final class QgaUnavailableException extends QgaTimeoutException {

    private final Path socket;

    public QgaUnavailableException(Path socket, Duration timeout) {
        super("guest-sync-delimited", timeout, "no guest agent answers on " + socket + " (nothing replied to "
                + "guest-sync-delimited within " + timeout.toMillis() + " ms): the guest does not run qemu-ga, "
                + "or not yet");
        this.socket = socket;
    }

    /** The channel's unix socket. */
    public Path socket() {
        return socket;
    }
}
