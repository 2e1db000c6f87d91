package io.atrium.gateway;

import java.time.Instant;

/**
 * A point-in-time snapshot of one live console connection.
 *
 * @param connectionId unique id of the connection
 * @param target the console
 * @param openedAt when the relay started
 * @param bytesFromBrowser bytes received from the browser and written to the VM
 * @param bytesToBrowser bytes read from the VM and handed to the browser connection
 */
public record ConnectionStats(String connectionId, ConsoleTarget target, Instant openedAt,
                              long bytesFromBrowser, long bytesToBrowser) {
}
