package io.atrium.vmm.qmp;

import io.atrium.vmm.VmmException;
import java.time.Duration;

/** A QMP command got no reply within its timeout (the QEMU process may be hung or gone). */
public final class QmpTimeoutException extends VmmException {

    private final String command;
    private final Duration timeout;

    public QmpTimeoutException(String command, Duration timeout) {
        super("QMP command '" + command + "' got no reply within " + timeout.toMillis() + " ms");
        this.command = command;
        this.timeout = timeout;
    }

    /** The QMP command name ({@code execute}) that timed out. */
    public String command() {
        return command;
    }

    public Duration timeout() {
        return timeout;
    }
}
