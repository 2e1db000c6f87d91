package io.atrium.broker;

/** Why a broker operation failed, with the HTTP status it maps to. */
public enum BrokerStatus {
    NOT_FOUND(404),
    FORBIDDEN(403),
    NO_DESKTOP_FREE(503),
    ILLEGAL_STATE(409),
    INVALID_INPUT(400),
    UNAUTHENTICATED(401),
    TOO_MANY_REQUESTS(429),
    TICKET_INVALID(401),
    TICKET_USED(410),
    TICKET_EXPIRED(410),
    DESKTOP_UNAVAILABLE(503),
    INTERNAL(500);

    private final int httpStatus;

    BrokerStatus(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
