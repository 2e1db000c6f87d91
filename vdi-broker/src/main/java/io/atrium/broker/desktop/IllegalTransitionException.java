package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;

/** A lifecycle call arrived while the desktop was in a state that does not allow it. */
public class IllegalTransitionException extends BrokerException {
    private final DesktopState from;
    private final DesktopState to;

    public IllegalTransitionException(String desktopName, DesktopState from, DesktopState to) {
        super(BrokerStatus.ILLEGAL_STATE,
                "Desktop " + desktopName + " cannot go from " + from + " to " + to);
        this.from = from;
        this.to = to;
    }

    /** The same, with a message that says which action was refused and why. */
    public IllegalTransitionException(DesktopState from, DesktopState to, String message) {
        super(BrokerStatus.ILLEGAL_STATE, message);
        this.from = from;
        this.to = to;
    }

    public DesktopState from() { return from; }

    public DesktopState to() { return to; }
}
