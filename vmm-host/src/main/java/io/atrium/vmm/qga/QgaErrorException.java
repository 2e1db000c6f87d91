package io.atrium.vmm.qga;

import io.atrium.vmm.VmmException;

/**
 * The guest agent answered a command with an {@code error} reply:
 * {@code {"error": {"class": "GenericError", "desc": "..."}, "id": ...}}. The class and description
 * come from the guest: they are cut to a bounded length and stripped of control characters.
 */
public final class QgaErrorException extends VmmException {

    private final String command;
    private final String errorClass;
    private final String description;

    public QgaErrorException(String command, String errorClass, String description) {
        super("guest agent command '" + command + "' failed: " + errorClass + ": " + description);
        this.command = command;
        this.errorClass = errorClass;
        this.description = description;
    }

    public String command() {
        return command;
    }

    /** The error class, e.g. {@code GenericError}, {@code CommandNotFound}. */
    public String errorClass() {
        return errorClass;
    }

    /** The agent's description ({@code desc}), sanitised. */
    public String description() {
        return description;
    }
}
