package io.atrium.gateway;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Chooses the {@link ConsoleConnector} by the endpoint's {@linkplain ConsoleEndpoint#scheme() scheme}. An endpoint
 * whose scheme has no connector is refused with {@link UnsupportedConsoleAddressException} (the viewer gets
 * {@link GatewayStatus#DESKTOP_GONE}), never by a crash. Immutable.
 */
public final class ConsoleConnectors implements ConsoleConnector {

    private final Map<String, ConsoleConnector> byScheme;

    private ConsoleConnectors(Map<String, ConsoleConnector> byScheme) {
        this.byScheme = byScheme;
    }

    /** The connectors of a single-machine install: {@code unix:} only. */
    public static ConsoleConnectors defaults() {
        return of(Map.of(UnixSocketConnector.SCHEME, new UnixSocketConnector()));
    }

    /**
     * Connectors by scheme.
     *
     * @param byScheme scheme (without colon, compared case-insensitively) → connector
     */
    public static ConsoleConnectors of(Map<String, ? extends ConsoleConnector> byScheme) {
        Map<String, ConsoleConnector> copy = new LinkedHashMap<>();
        byScheme.forEach((scheme, connector) -> {
            String key = Objects.requireNonNull(scheme, "scheme").strip().toLowerCase(Locale.ROOT);
            if (key.isEmpty() || key.contains(":")) {
                throw new IllegalArgumentException("a scheme is a non-empty name without colon: '" + scheme + "'");
            }
            if (copy.put(key, Objects.requireNonNull(connector, "connector")) != null) {
                throw new IllegalArgumentException("two connectors for scheme " + key);
            }
        });
        return new ConsoleConnectors(Map.copyOf(copy));
    }

    /** A copy with {@code connector} for {@code scheme} added (or replacing the one there). */
    public ConsoleConnectors with(String scheme, ConsoleConnector connector) {
        Map<String, ConsoleConnector> copy = new LinkedHashMap<>(byScheme);
        copy.remove(Objects.requireNonNull(scheme, "scheme").strip().toLowerCase(Locale.ROOT));
        copy.put(scheme, connector);
        return of(copy);
    }

    @Override
    public ByteChannel open(ConsoleEndpoint endpoint) throws IOException {
        String scheme = endpoint.scheme();
        ConsoleConnector connector = byScheme.get(scheme);
        if (connector == null) {
            throw new UnsupportedConsoleAddressException("no console connector for scheme '" + scheme
                    + "' (address " + endpoint.address() + ", host " + endpoint.hostId() + "); known: "
                    + byScheme.keySet());
        }
        return connector.open(endpoint);
    }

    @Override
    public String toString() {
        return "ConsoleConnectors" + byScheme.keySet();
    }
}
