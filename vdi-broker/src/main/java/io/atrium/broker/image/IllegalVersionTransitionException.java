package io.atrium.broker.image;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;

/** An image library action that the version's state does not allow (HTTP 409). */
public class IllegalVersionTransitionException extends BrokerException {
    private final VersionState from;
    private final VersionState to;

    public IllegalVersionTransitionException(VersionState from, VersionState to, String message) {
        super(BrokerStatus.ILLEGAL_STATE, message);
        this.from = from;
        this.to = to;
    }

    public VersionState from() {
        return from;
    }

    public VersionState to() {
        return to;
    }
}
