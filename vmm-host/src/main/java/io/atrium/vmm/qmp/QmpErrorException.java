package io.atrium.vmm.qmp;

import io.atrium.vmm.VmmException;

/**
 * QEMU answered a QMP command with an {@code error} reply:
 * {@code {"error": {"class": "GenericError", "desc": "..."}, "id": ...}}.
 */
public final class QmpErrorException extends VmmException {

    private final String command;
    private final String errorClass;
    private final String description;

    public QmpErrorException(String command, String errorClass, String description) {
        super("QMP command '" + command + "' failed: " + errorClass + ": " + description);
        this.command = command;
        this.errorClass = errorClass;
        this.description = description;
    }

    public String command() {
        return command;
    }

    /** QMP error class, e.g. {@code GenericError}, {@code CommandNotFound}, {@code DeviceNotFound}. */
    public String errorClass() {
        return errorClass;
    }

    /** QEMU's human readable description ({@code desc}). */
    public String description() {
        return description;
    }
}
