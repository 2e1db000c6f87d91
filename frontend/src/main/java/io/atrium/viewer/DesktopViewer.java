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

import java.util.Collection;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The desktop viewer: a noVNC canvas with a toolbar (fullscreen, Ctrl+Alt+Del, disconnect),
 * a status overlay and automatic reconnect.
 *
 * <p>Invariant: the browser never holds a long-lived credential for the console. Every
 * (re)connect asks the server, through {@link #newConnection()}, for a fresh single-use
 * console ticket; the {@link ConnectionSource} runs on the server as the logged-in user,
 * so the broker's authorization applies to each attempt.
 *
 * <p>What a close code means (the sentence shown when the close frame carried no reason, and whether reconnecting
 * can help) is not known to this module: the application passes its table in with {@link #setCloseCodes}, built
 * from the gateway's one table. For a code the table lacks, the viewer shows a generic message and retries.
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

    /**
     * What the viewer does after the WebSocket closed with {@code code}.
     *
     * @param code      the WebSocket close code
     * @param message   the sentence shown when the close frame carried no reason
     * @param reconnect whether to try again (with a fresh ticket); {@code false} stops and offers a Reconnect button
     */
    public record CloseCode(int code, String message, boolean reconnect) {
        public CloseCode {
            Objects.requireNonNull(message, "message");
            if (code < 1000 || code > 4999) {
                throw new IllegalArgumentException("not a WebSocket close code: " + code);
            }
        }
    }

    /** Name of the element property holding the close-code table as JSON. */
    static final String CLOSE_CODES_PROPERTY = "closeCodes";

    private final ConnectionSource source;

    public DesktopViewer(String title, ConnectionSource source) {
        this.source = Objects.requireNonNull(source, "source");
        getElement().setAttribute("title-text", Objects.requireNonNullElse(title, "Desktop"));
        setSizeFull();
    }

    /**
     * Tells the viewer what each close code means: JSON {@code {"4007":{"message":"…","reconnect":false},…}} in the
     * element property {@value #CLOSE_CODES_PROPERTY}, read whenever a connection closes.
     *
     * @throws IllegalArgumentException if a code appears twice
     */
    public void setCloseCodes(Collection<CloseCode> codes) {
        getElement().setProperty(CLOSE_CODES_PROPERTY, closeCodesJson(codes));
    }

    /** The JSON of {@link #setCloseCodes}, by ascending code. */
    static String closeCodesJson(Collection<CloseCode> codes) {
        TreeMap<Integer, CloseCode> byCode = new TreeMap<>();
        for (CloseCode c : codes) {
            if (byCode.put(c.code(), c) != null) {
                throw new IllegalArgumentException("close code " + c.code() + " twice");
            }
        }
        StringBuilder json = new StringBuilder("{");
        for (CloseCode c : byCode.values()) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append('"').append(c.code()).append("\":{\"message\":").append(quote(c.message()))
                    .append(",\"reconnect\":").append(c.reconnect()).append('}');
        }
        return json.append('}').toString();
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
