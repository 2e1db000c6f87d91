package io.atrium.vmm.qmp;

import java.time.Instant;
import tools.jackson.databind.JsonNode;

/**
 * An asynchronous QMP event, e.g. {@code SHUTDOWN}, {@code POWERDOWN}, {@code RESET}, {@code STOP}.
 *
 * @param event event name
 * @param data the event's {@code data} object (an empty object if QEMU sent none)
 * @param timestamp QEMU's timestamp of the event
 */
public record QmpEvent(String event, JsonNode data, Instant timestamp) {
}
