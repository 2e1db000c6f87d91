package io.atrium.web.console;

import io.atrium.gateway.GatewayStatus;
import io.atrium.viewer.DesktopViewer;

import java.util.Arrays;
import java.util.List;

/** The viewer's close-code table, built from the gateway's {@link GatewayStatus}, its only source. */
public final class CloseCodes {
    private static final List<DesktopViewer.CloseCode> TABLE = Arrays.stream(GatewayStatus.values())
            .map(s -> new DesktopViewer.CloseCode(s.closeCode(), s.userMessage(), s.reconnectMayHelp()))
            .toList();

    private CloseCodes() {
    }

    /** One entry per {@link GatewayStatus}: its close code, user message and whether reconnecting may help. */
    public static List<DesktopViewer.CloseCode> forViewer() {
        return TABLE;
    }
}
