package io.atrium.vmm.qga;

import io.atrium.vmm.VmmException;
import java.time.Duration;

/**
 * A guest agent command got no reply within its timeout (for {@code guest-exec}: the guest process
 * did not exit in time). The agent may be busy, hung, or gone; the client resynchronises before
 * its next command. See {@link QgaUnavailableException} for an agent that never answered at all.
 */
public class QgaTimeoutException extends VmmException {

    private final String command;
    private final Duration timeout;

    public QgaTimeoutException(String command, Duration timeout) {
        this(command, timeout, "guest agent command '" + command + "' got no reply within " + timeout.toMillis() + " ms");
    }

    public QgaTimeoutException(String command, Duration timeout, String message) {
        super(message);
        this.command = command;
        this.timeout = timeout;
    }

    /** The command that timed out. */
    public String command() {
        return command;
    }

    public Duration timeout() {
        return timeout;
    }
}
