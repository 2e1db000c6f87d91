package io.atrium.vmm.api;

import java.util.Objects;

/**
 * Where a machine's VNC console is served, as a value: the host and an address on it. A gateway opens it through a
 * connector for the address's scheme.
 *
 * @param hostId  the host that serves it
 * @param address {@code unix:<absolute path>} for a VNC unix socket on the same machine as the gateway; other
 *                schemes (a TLS connection to a host agent) come with remote hosts
 */
public record ConsoleEndpoint(String hostId, String address) {
    /** Scheme prefix of a unix domain socket address. */
    public static final String UNIX = "unix:";

    public ConsoleEndpoint {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(address, "address");
        if (hostId.isBlank()) {
            throw new IllegalArgumentException("hostId must not be blank");
        }
        if (!address.startsWith(UNIX + "/")) {
            throw new IllegalArgumentException("unsupported console address (want unix:/absolute/path): " + address);
        }
    }

    /** A unix socket endpoint on {@code hostId}. */
    public static ConsoleEndpoint unix(String hostId, String absolutePath) {
        return new ConsoleEndpoint(hostId, UNIX + absolutePath);
    }
}
