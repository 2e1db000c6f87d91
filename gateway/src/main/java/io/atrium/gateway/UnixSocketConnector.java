package io.atrium.gateway;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Connects to a VNC server on a unix domain socket of this machine: addresses {@code unix:<absolute path>}.
 * A relative path or another scheme is refused with {@link UnsupportedConsoleAddressException}; a path where no
 * server listens fails with the {@link IOException} of the connect.
 */
public final class UnixSocketConnector implements ConsoleConnector {

    /** The scheme this connector handles. */
    public static final String SCHEME = "unix";

    @Override
    public ByteChannel open(ConsoleEndpoint endpoint) throws IOException {
        if (!SCHEME.equals(endpoint.scheme())) {
            throw new UnsupportedConsoleAddressException("not a unix socket address: " + endpoint.address());
        }
        Path path;
        try {
            path = Path.of(endpoint.schemeSpecificPart());
        } catch (InvalidPathException e) {
            throw new UnsupportedConsoleAddressException("malformed unix socket path: " + endpoint.address());
        }
        if (!path.isAbsolute()) {
            throw new UnsupportedConsoleAddressException("unix socket path must be absolute: " + endpoint.address());
        }
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(path));
            return channel;
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public String toString() {
        return "UnixSocketConnector";
    }
}
