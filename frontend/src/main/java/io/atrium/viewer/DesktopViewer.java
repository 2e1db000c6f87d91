package io.atrium.viewer;

import com.vaadin.flow.component.ClientCallable;
import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.ComponentEvent;
import com.vaadin.flow.component.ComponentEventListener;
import com.vaadin.flow.component.DomEvent;
import com.vaadin.flow.component.EventData;
import com.vaadin.flow.component.HasSize;
import com.vaadin.flow.component.Tag;
import com.vaadin.flow.component.dependency.JsModule;
import com.vaadin.flow.component.dependency.NpmPackage;
import com.vaadin.flow.shared.Registration;

import java.util.Objects;

/**
 * The desktop viewer: a noVNC canvas with a toolbar (fullscreen, Ctrl+Alt+Del, disconnect),
 * a status overlay and automatic reconnect.
 *
 * <p>Invariant: the browser never holds a long-lived credential for the console. Every
 * (re)connect asks the server, through {@link #newConnection()}, for a fresh single-use
 * console ticket; the {@link ConnectionSource} runs on the server as the logged-in user,
 * so the broker's authorization applies to each attempt.
 */
@Tag("atrium-viewer")
@NpmPackage(value = "@novnc/novnc", version = "1.7.0")
@JsModule("./atrium-viewer.js")
public class DesktopViewer extends Component implements HasSize {

    /** Produces the gateway path (with a fresh ticket) for one connection attempt. */
    @FunctionalInterface
    public interface ConnectionSource {
        /**
         * @return a path such as {@code /gateway/vnc?ticket=...}, relative to the page's origin
         * @throws RuntimeException with a user-readable message when no connection may be made
         */
        String newConnectionPath();
    }

    private final ConnectionSource source;

    public DesktopViewer(String title, ConnectionSource source) {
        this.source = Objects.requireNonNull(source, "source");
        getElement().setAttribute("title-text", Objects.requireNonNullElse(title, "Desktop"));
        setSizeFull();
    }

    /** Called by the browser for every connection attempt; answers JSON {path} or {error}. */
    @ClientCallable
    String newConnection() {
        try {
            String path = source.newConnectionPath();
            return "{\"path\":" + quote(path) + "}";
        } catch (RuntimeException e) {
            String msg = e.getMessage() == null ? "The desktop cannot be opened." : e.getMessage();
            return "{\"error\":" + quote(msg) + "}";
        }
    }

    /** Asks the browser to drop the connection and stop reconnecting. */
    public void disconnect() {
        getElement().callJsFunction("disconnect");
    }

    public Registration addStatusListener(ComponentEventListener<StatusEvent> listener) {
        return addListener(StatusEvent.class, listener);
    }

    /** Fired when the viewer's status changes: connecting, connected or disconnected. */
    @DomEvent("atrium-status")
    public static class StatusEvent extends ComponentEvent<DesktopViewer> {
        private final String status;
        private final String reason;

        public StatusEvent(DesktopViewer source, boolean fromClient,
                           @EventData("event.detail.status") String status,
                           @EventData("event.detail.reason") String reason) {
            super(source, fromClient);
            this.status = status;
            this.reason = reason;
        }

        public String getStatus() { return status; }
        public String getReason() { return reason; }
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
