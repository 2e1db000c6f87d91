package io.atrium.gateway;

import java.util.Objects;

/**
 * The one error type of the gateway: a {@link GatewayStatus} plus a human-readable reason.
 *
 * <p>The reason is sent to the browser as the WebSocket close reason (truncated to
 * {@value GatewayStatus#MAX_REASON_BYTES} UTF-8 bytes) and is logged, so it must never contain a
 * secret such as a console ticket.
 */
public class GatewayException extends Exception {

    private static final long serialVersionUID = 1L;

    private final GatewayStatus status;

    /** Creates an exception with the status's default reason. */
    public GatewayException(GatewayStatus status) {
        this(status, null, null);
    }

    /**
     * Creates an exception with a specific reason.
     *
     * @param status the status
     * @param reason reason shown to the user; {@code null} or blank for the status's default reason
     */
    public GatewayException(GatewayStatus status, String reason) {
        this(status, reason, null);
    }

    /**
     * Creates an exception with a specific reason and cause.
     *
     * @param status the status
     * @param reason reason shown to the user; {@code null} or blank for the status's default reason
     * @param cause the underlying failure, may be {@code null}
     */
    public GatewayException(GatewayStatus status, String reason, Throwable cause) {
        super(reason == null || reason.isBlank()
                ? Objects.requireNonNull(status, "status").reason()
                : GatewayStatus.truncateReason(reason.strip()), cause);
        this.status = status;
    }

    /** The status. */
    public GatewayStatus status() {
        return status;
    }

    /** The reason sent as WebSocket close reason; never {@code null}, at most 123 UTF-8 bytes. */
    public String reason() {
        return getMessage();
    }

    /** Shortcut for {@code status().closeCode()}. */
    public int closeCode() {
        return status.closeCode();
    }

    /** Shortcut for {@code status().httpStatus()}. */
    public int httpStatus() {
        return status.httpStatus();
    }

    @Override
    public String toString() {
        return "GatewayException[" + status + " " + status.closeCode() + ": " + getMessage() + "]";
    }
}
