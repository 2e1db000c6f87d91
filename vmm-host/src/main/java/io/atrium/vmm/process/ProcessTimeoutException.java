package io.atrium.vmm.process;

import io.atrium.vmm.VmmException;
import java.time.Duration;

/**
 * A command did not exit within its timeout; it and the processes it had started were killed
 * (SIGKILL).
 */
public final class ProcessTimeoutException extends VmmException {

    private final transient Command command;
    private final String output;

    ProcessTimeoutException(Command command, int killedDescendants, String output) {
        super(command.display() + " did not finish within " + ProcessRunner.human(command.timeout())
                + "; killed it" + (killedDescendants == 0 ? "" : " and " + killedDescendants + " processes it started")
                + ProcessRunner.excerpt(output));
        this.command = command;
        this.output = output;
    }

    public Command command() {
        return command;
    }

    public Duration timeout() {
        return command.timeout();
    }

    /** What it had written until it was killed (the tail, see {@link Command#outputLimit()}). */
    public String output() {
        return output;
    }
}
