package io.atrium.gateway;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a desktop's VNC console is served, as a value the broker hands over with a redeemed ticket: the host that
 * serves it and an address on it. The gateway opens it through the {@link ConsoleConnector} for the address's
 * {@linkplain #scheme() scheme}; an address whose scheme no connector handles is refused with
 * {@link GatewayStatus#DESKTOP_GONE} when the connection is opened, not here.
 *
 * <p>This is the gateway's own type, so the gateway depends on neither the broker nor the machine layer; the
 * application maps the broker's endpoint to this one.
 *
 * @param hostId  the host that serves the console (for logs and, with remote hosts, for choosing a route)
 * @param address {@code scheme:rest}, e.g. {@code unix:/var/lib/atrium/run/desk-1/vnc.sock}; not a secret (it is
 *                logged), at most {@value #MAX_ADDRESS_LENGTH} characters, no control characters
 */
public record ConsoleEndpoint(String hostId, String address) {

    /** Longest accepted address. */
    public static final int MAX_ADDRESS_LENGTH = 4096;

    public ConsoleEndpoint {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(address, "address");
        if (hostId.isBlank()) {
            throw new IllegalArgumentException("hostId must not be blank");
        }
        if (address.isBlank() || address.length() > MAX_ADDRESS_LENGTH) {
            throw new IllegalArgumentException("address must be 1 to " + MAX_ADDRESS_LENGTH + " characters");
        }
        if (address.chars().anyMatch(Character::isISOControl) || hostId.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("hostId and address must not contain control characters");
        }
    }

    /** A unix domain socket endpoint: {@code unix:<absolute path>}. */
    public static ConsoleEndpoint unix(String hostId, Path socket) {
        return new ConsoleEndpoint(hostId, UnixSocketConnector.SCHEME + ":" + socket.toAbsolutePath());
    }

    /** The scheme of the address in lower case ({@code unix} for {@code unix:/x}); empty if it has none. */
    public String scheme() {
        int colon = address.indexOf(':');
        return colon <= 0 ? "" : address.substring(0, colon).toLowerCase(Locale.ROOT);
    }

    /** The address without its scheme and colon; the whole address if it has no scheme. */
    public String schemeSpecificPart() {
        int colon = address.indexOf(':');
        return colon <= 0 ? address : address.substring(colon + 1);
    }
}
