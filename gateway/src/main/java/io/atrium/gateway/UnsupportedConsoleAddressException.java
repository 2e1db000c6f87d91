package io.atrium.gateway;

import java.io.IOException;

/**
 * A {@link ConsoleEndpoint} no connector can open: its scheme is unknown to the gateway, or its address is
 * malformed for its scheme. A configuration or version mismatch between broker and gateway rather than a desktop
 * that went away, so the relay logs it as a warning; the viewer still gets {@link GatewayStatus#DESKTOP_GONE}.
 */
public class UnsupportedConsoleAddressException extends IOException {

    private static final long serialVersionUID = 1L;

    public UnsupportedConsoleAddressException(String message) {
        super(message);
    }
}
