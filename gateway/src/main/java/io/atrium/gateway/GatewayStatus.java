package io.atrium.gateway;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Why a console connection was refused or ended.
 *
 * <p>Each status carries the WebSocket close code sent to the browser, a stable short reason text
 * (sent in the close frame, shown to the user and safe to log), an HTTP status for REST APIs that
 * report the same conditions, whether reconnecting may help, and the sentence a viewer shows when a
 * close frame carried no reason. Codes {@code 4001}–{@code 4013} are Atrium application codes (the 4000–4999 range is
 * reserved for applications by RFC 6455); the others are standard RFC 6455 codes.
 *
 * <p>This enum is the one close-code table: the viewer receives {@link #userMessage()} and
 * {@link #reconnectMayHelp()} from the server, and a test keeps {@code gateway/README.md}'s table equal to it.
 *
 * <p>{@link #CONNECTION_LOST} ({@code 1006}) is never sent in a close frame (RFC 6455 forbids it);
 * it is only reported to {@link GatewayListener}s when the browser connection dropped without a
 * close handshake.
 */
public enum GatewayStatus {

    /** The browser closed the connection (tab closed, user disconnected). */
    NORMAL(1000, "closed", 200, true, "Disconnected."),
    /** Nothing was sent either way for the configured idle timeout. */
    IDLE_TIMEOUT(1001, "idle timeout", 408, true, "The connection was closed after a period without traffic."),
    /** The browser sent a text frame; the console protocol is binary only. */
    UNSUPPORTED_DATA(1003, "text frames are not supported", 400, true,
            "The browser sent data the console does not accept."),
    /** The browser connection dropped without a close handshake (never sent, only reported). */
    CONNECTION_LOST(1006, "connection lost", 502, true, "The connection was lost."),
    /** Unexpected failure inside the gateway or the ticket redeemer. */
    SERVER_ERROR(1011, "internal gateway error", 500, true, "The console gateway had an internal error."),
    /** The gateway is shutting down or restarting. */
    SHUTDOWN(1012, "gateway restarting", 503, true, "The console gateway is restarting."),
    /** The ticket is unknown, made up, malformed or missing. */
    TICKET_INVALID(4001, "invalid console ticket", 401, true, "The console ticket was not valid."),
    /** The ticket was already redeemed (tickets are single use). */
    TICKET_USED(4002, "console ticket already used", 410, true, "The console ticket was already used."),
    /** The ticket is older than its validity period. */
    TICKET_EXPIRED(4003, "console ticket expired", 410, true, "The console ticket expired."),
    /** The ticket is valid but not for this user or desktop, or the request origin is not allowed. */
    FORBIDDEN(4004, "access denied", 403, false, "You may not open this desktop."),
    /** The desktop was deleted, has no running VM, its VNC socket is missing, or its console address is unusable. */
    DESKTOP_GONE(4005, "desktop is not available", 404, true, "The desktop is no longer available."),
    /** The VM side closed the VNC connection (e.g. the VM was powered off). */
    VM_CLOSED(4006, "desktop closed the console connection", 502, true, "The virtual machine closed the console."),
    /** The same desktop was opened from another tab or device; this (older) connection was closed. */
    TAKEN_OVER(4007, "desktop opened in another window", 409, false, "The desktop was opened in another window."),
    /** An administrator disconnected the session or logged the user off. */
    ADMIN_DISCONNECT(4008, "disconnected by administrator", 410, false, "An administrator disconnected this session."),
    /** The session had no input for its pool's idle timeout; the desktop stays the user's. */
    SESSION_IDLE(4009, "disconnected after inactivity", 408, false,
            "Disconnected after a period without input. Your desktop keeps running; reconnect to continue."),
    /** The session ended (logged off: maximum session length, disconnect grace, or by the user). */
    SESSION_ENDED(4010, "session ended", 410, false, "Your session has ended and you were logged off."),
    /** The user's access to the desktop was withdrawn (e.g. their entitlement to its pool was removed). */
    ACCESS_REVOKED(4011, "access to this desktop was revoked", 403, false,
            "Your access to this desktop was revoked."),
    /** The user logged out of Atrium (in any window); the desktop stays theirs. */
    LOGGED_OUT(4012, "logged out", 401, false,
            "You logged out of Atrium. Your desktop keeps running; log in again to continue."),
    /**
     * A message broke the console protocol as the gateway checks it (an unknown or malformed RFB message from the
     * browser, or a server message the gateway cannot frame); nothing of it was passed on.
     */
    PROTOCOL_VIOLATION(4013, "console protocol violation", 400, true,
            "The console connection was closed because a message broke the console protocol.");

    /** Maximum length in UTF-8 bytes of a WebSocket close reason (125-byte control payload minus the code). */
    public static final int MAX_REASON_BYTES = 123;

    private final int closeCode;
    private final String reason;
    private final int httpStatus;
    private final boolean reconnectMayHelp;
    private final String userMessage;

    GatewayStatus(int closeCode, String reason, int httpStatus, boolean reconnectMayHelp, String userMessage) {
        this.closeCode = closeCode;
        this.reason = reason;
        this.httpStatus = httpStatus;
        this.reconnectMayHelp = reconnectMayHelp;
        this.userMessage = userMessage;
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

    /**
     * Whether a viewer should try again (with a fresh ticket) after this close: {@code false} when the close was a
     * decision (access denied, taken over, disconnected, logged off, revoked) that another attempt would only undo
     * or repeat.
     */
    public boolean reconnectMayHelp() {
        return reconnectMayHelp;
    }

    /**
     * What the viewer tells the user when the close frame carried no reason: a full sentence, without the code.
     * The viewer gets this table from the server (web's {@code CloseCodes}), so this is its only copy.
     */
    public String userMessage() {
        return userMessage;
    }

    /** Whether {@link #closeCode()} may be sent in a WebSocket close frame. */
    public boolean isTransmittable() {
        return closeCode != 1005 && closeCode != 1006 && closeCode != 1015;
    }

    /** Whether this status is a failure rather than an ordinary end of session. */
    public boolean isError() {
        return this != NORMAL && this != IDLE_TIMEOUT && this != TAKEN_OVER && this != ADMIN_DISCONNECT
                && this != SHUTDOWN && this != SESSION_IDLE && this != SESSION_ENDED && this != ACCESS_REVOKED
                && this != LOGGED_OUT;
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
