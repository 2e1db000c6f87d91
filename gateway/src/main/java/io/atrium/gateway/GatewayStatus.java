package io.atrium.gateway;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Why a console connection was refused or ended.
 *
 * <p>Each status carries the WebSocket close code sent to the browser, a stable short reason text
 * (shown to the user and safe to log) and an HTTP status for REST APIs that report the same
 * conditions. Codes {@code 4001}–{@code 4010} are Atrium application codes (the 4000–4999 range is
 * reserved for applications by RFC 6455); the others are standard RFC 6455 codes.
 *
 * <p>{@link #CONNECTION_LOST} ({@code 1006}) is never sent in a close frame (RFC 6455 forbids it);
 * it is only reported to {@link GatewayListener}s when the browser connection dropped without a
 * close handshake.
 */
public enum GatewayStatus {

    /** The browser closed the connection (tab closed, user disconnected). */
    NORMAL(1000, "closed", 200),
    /** Nothing was sent either way for the configured idle timeout. */
    IDLE_TIMEOUT(1001, "idle timeout", 408),
    /** The browser sent a text frame; the console protocol is binary only. */
    UNSUPPORTED_DATA(1003, "text frames are not supported", 400),
    /** The browser connection dropped without a close handshake (never sent, only reported). */
    CONNECTION_LOST(1006, "connection lost", 502),
    /** Unexpected failure inside the gateway or the ticket redeemer. */
    SERVER_ERROR(1011, "internal gateway error", 500),
    /** The gateway is shutting down or restarting. */
    SHUTDOWN(1012, "gateway restarting", 503),
    /** The ticket is unknown, made up, malformed or missing. */
    TICKET_INVALID(4001, "invalid console ticket", 401),
    /** The ticket was already redeemed (tickets are single use). */
    TICKET_USED(4002, "console ticket already used", 410),
    /** The ticket is older than its validity period. */
    TICKET_EXPIRED(4003, "console ticket expired", 410),
    /** The ticket is valid but not for this user or desktop, or the request origin is not allowed. */
    FORBIDDEN(4004, "access denied", 403),
    /** The desktop was deleted, has no running VM, or its VNC socket is missing. */
    DESKTOP_GONE(4005, "desktop is not available", 404),
    /** The VM side closed the VNC connection (e.g. the VM was powered off). */
    VM_CLOSED(4006, "desktop closed the console connection", 502),
    /** The same desktop was opened from another tab or device; this (older) connection was closed. */
    TAKEN_OVER(4007, "desktop opened in another window", 409),
    /** An administrator disconnected the session, or the user was logged off. */
    ADMIN_DISCONNECT(4008, "disconnected by administrator", 410),
    /** The session had no input for its pool's idle timeout; the desktop stays the user's. */
    SESSION_IDLE(4009, "disconnected after inactivity", 408),
    /** The session ended (logged off: maximum session length, disconnect grace, or by the user). */
    SESSION_ENDED(4010, "session ended", 410);

    /** Maximum length in UTF-8 bytes of a WebSocket close reason (125-byte control payload minus the code). */
    public static final int MAX_REASON_BYTES = 123;

    private final int closeCode;
    private final String reason;
    private final int httpStatus;

    GatewayStatus(int closeCode, String reason, int httpStatus) {
        this.closeCode = closeCode;
        this.reason = reason;
        this.httpStatus = httpStatus;
    }

    /** The WebSocket close code. */
    public int closeCode() {
        return closeCode;
    }

    /** The default, stable, human-readable reason text (ASCII, well below {@link #MAX_REASON_BYTES}). */
    public String reason() {
        return reason;
    }

    /** The HTTP status a REST API should use for this condition. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Whether {@link #closeCode()} may be sent in a WebSocket close frame. */
    public boolean isTransmittable() {
        return closeCode != 1005 && closeCode != 1006 && closeCode != 1015;
    }

    /** Whether this status is a failure rather than an ordinary end of session. */
    public boolean isError() {
        return this != NORMAL && this != IDLE_TIMEOUT && this != TAKEN_OVER && this != ADMIN_DISCONNECT
                && this != SHUTDOWN && this != SESSION_IDLE && this != SESSION_ENDED;
    }

    /** The status with the given WebSocket close code, if any. */
    public static Optional<GatewayStatus> fromCloseCode(int closeCode) {
        for (GatewayStatus status : values()) {
            if (status.closeCode == closeCode) {
                return Optional.of(status);
            }
        }
        return Optional.empty();
    }

    /**
     * Truncates a close reason to {@link #MAX_REASON_BYTES} UTF-8 bytes without splitting a character.
     *
     * @param reason the reason, may be {@code null}
     * @return the reason, shortened if needed; {@code null} if {@code reason} was {@code null}
     */
    static String truncateReason(String reason) {
        if (reason == null || reason.getBytes(StandardCharsets.UTF_8).length <= MAX_REASON_BYTES) {
            return reason;
        }
        StringBuilder out = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < reason.length(); ) {
            int codePoint = reason.codePointAt(i);
            int length = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + length > MAX_REASON_BYTES) {
                break;
            }
            out.appendCodePoint(codePoint);
            bytes += length;
            i += Character.charCount(codePoint);
        }
        return out.toString();
    }
}
