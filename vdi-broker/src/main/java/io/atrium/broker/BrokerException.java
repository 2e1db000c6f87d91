package io.atrium.broker;

/**
 * The broker's one error type. Every failure a caller can see carries a {@link BrokerStatus},
 * which maps to an HTTP status (REST) and to a user-readable message (UI).
 */
public class BrokerException extends RuntimeException {
    private final BrokerStatus status;

    public BrokerException(BrokerStatus status, String message) {
        super(message);
        this.status = status;
    }

    public BrokerException(BrokerStatus status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public BrokerStatus status() {
        return status;
    }

    public static BrokerException notFound(String what) {
        return new BrokerException(BrokerStatus.NOT_FOUND, what + " does not exist");
    }
}
