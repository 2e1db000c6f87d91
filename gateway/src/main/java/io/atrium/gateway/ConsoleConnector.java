package io.atrium.gateway;

import java.io.IOException;
import java.nio.channels.ByteChannel;

/**
 * Opens the byte stream to a desktop's VNC server for one console connection: one implementation per transport
 * (a unix domain socket today, {@link UnixSocketConnector}; a TLS connection to a remote host agent later), chosen
 * by the address's scheme through {@link ConsoleConnectors}.
 *
 * <p>The {@link VncRelay} calls {@link #open} once per connection, on the Jetty thread that handles the WebSocket
 * open, and then uses the channel from two threads: one virtual thread reads (blocking) and one writes (blocking).
 * So the returned channel must
 * <ul>
 *   <li>be in blocking mode: {@code read} waits for at least one byte or returns {@code -1} at end of stream;</li>
 *   <li>allow one concurrent reader and one concurrent writer;</li>
 *   <li>make a {@code read} or {@code write} blocked in another thread fail (or return {@code -1}) when it is
 *       {@link ByteChannel#close() closed}, as {@link java.nio.channels.InterruptibleChannel}s do: that is how
 *       the relay's single close stops both pumps.</li>
 * </ul>
 */
@FunctionalInterface
public interface ConsoleConnector {

    /**
     * Connects to the console.
     *
     * @param endpoint where the console is
     * @return a connected channel, never {@code null}; the relay closes it
     * @throws UnsupportedConsoleAddressException if this connector cannot handle the address (unknown scheme,
     *         malformed address); the viewer gets {@link GatewayStatus#DESKTOP_GONE}
     * @throws IOException if the console cannot be reached (socket missing, VM gone); the viewer gets
     *         {@link GatewayStatus#DESKTOP_GONE}
     */
    ByteChannel open(ConsoleEndpoint endpoint) throws IOException;
}
