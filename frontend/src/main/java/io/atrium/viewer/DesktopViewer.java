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
import com.vaadin.flow.server.VaadinRequest;
import com.vaadin.flow.server.VaadinResponse;
import com.vaadin.flow.server.VaadinSession;
import com.vaadin.flow.server.streams.ElementRequestHandler;
import com.vaadin.flow.shared.Registration;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.LongConsumer;

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
 *
 * <p>What the viewer offers besides the screen comes from the application too, each through a small interface that
 * runs on the server as the logged-in user: keyboard layouts ({@link #setKeyboard}; the viewer proposes the one of
 * the browser's language and applies the user's choice on every connect), files ({@link #setFiles}: upload by drag
 * and drop or a button, download from a list, each with a progress bar; the server enforces the policy), and the
 * clipboard directions the pool allows ({@link #setClipboard}; only a hint for the buttons: the gateway enforces it).
 * The viewer resizes the remote desktop to its size when the guest can (noVNC {@code resizeSession}) and scales it
 * otherwise.
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

    /** A keyboard layout the user can pick. */
    public record KeyboardOption(String code, String name) {
        public KeyboardOption {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(name, "name");
        }
    }

    /** Applies a layout in the desktop (on the server, as the logged-in user). */
    @FunctionalInterface
    public interface KeyboardTarget {
        /**
         * @return {@code true} if the desktop uses it now, {@code false} if the desktop cannot change its layout
         * @throws RuntimeException with a user-readable message when it failed
         */
        boolean apply(String code);
    }

    /** A file in the user's folder in the desktop. */
    public record FileEntry(String name, long size) {
    }

    /** What the user may do with files; {@code folder} is where they are in the desktop. */
    public record FileLimits(boolean upload, boolean download, long maxBytes, String folder) {
    }

    /**
     * Moves files in and out of the desktop (on the server, as the logged-in user). Methods throw a
     * {@link RuntimeException} with a user-readable message when the transfer is refused or fails.
     */
    public interface FileTarget {
        FileLimits limits();

        List<FileEntry> list();

        /** Streams {@code content} into the desktop as {@code name}; reports the bytes written so far. */
        long upload(String name, InputStream content, LongConsumer progress);

        /** Streams the desktop's file {@code name} into {@code target}. */
        long download(String name, OutputStream target, LongConsumer progress);
    }

    /** Name of the element property holding the close-code table as JSON. */
    static final String CLOSE_CODES_PROPERTY = "closeCodes";
    /** Header of an upload request naming the file (URL-encoded UTF-8). */
    static final String FILE_NAME_HEADER = "X-Atrium-File-Name";

    private final ConnectionSource source;
    private KeyboardTarget keyboard;
    private FileTarget files;

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

    /**
     * Offers these layouts in the toolbar; the viewer applies the user's choice (remembered in the browser, by default
     * the browser's language) through {@code target} on every connect.
     */
    public void setKeyboard(List<KeyboardOption> layouts, KeyboardTarget target) {
        this.keyboard = Objects.requireNonNull(target, "target");
        StringBuilder json = new StringBuilder("[");
        for (KeyboardOption o : layouts) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append("{\"code\":").append(quote(o.code())).append(",\"name\":").append(quote(o.name())).append('}');
        }
        getElement().setProperty("keyboardLayouts", json.append(']').toString());
    }

    /** Which clipboard directions the pool allows (a hint for the viewer's controls; the gateway enforces them). */
    public void setClipboard(boolean toDesktop, boolean fromDesktop) {
        getElement().setProperty("clipboardPolicy", "{\"toDesktop\":" + toDesktop + ",\"fromDesktop\":" + fromDesktop
                + "}");
    }

    /**
     * Lets the user move files in and out: the element gets an {@code upload-target} (POST the file as the body,
     * its name in the {@value #FILE_NAME_HEADER} header) and a {@code download-target} ({@code ?name=}) URL, both
     * bound to this component and the user's session.
     */
    public void setFiles(FileTarget target) {
        this.files = Objects.requireNonNull(target, "target");
        FileLimits limits = target.limits();
        getElement().setProperty("fileLimits", "{\"upload\":" + limits.upload() + ",\"download\":" + limits.download()
                + ",\"maxBytes\":" + limits.maxBytes() + ",\"folder\":" + quote(limits.folder()) + "}");
        if (limits.upload()) {
            getElement().setAttribute("upload-target", new ElementRequestHandler() {
                @Override
                public void handleRequest(VaadinRequest request, VaadinResponse response, VaadinSession session,
                                          com.vaadin.flow.dom.Element owner) throws IOException {
                    handleUpload(request, response, session, owner);
                }

                /** Vaadin treats {@code …/upload} as an upload: its own checks, and Spring's CSRF filter lets it be. */
                @Override
                public String getUrlPostfix() {
                    return "upload";
                }
            });
        }
        if (limits.download()) {
            getElement().setAttribute("download-target", (ElementRequestHandler) this::handleDownload);
        }
    }

    @ClientCallable
    String setKeyboardLayout(String code) {
        if (keyboard == null) {
            return "{\"result\":\"unsupported\"}";
        }
        try {
            return keyboard.apply(code) ? "{\"result\":\"applied\"}" : "{\"result\":\"unsupported\"}";
        } catch (RuntimeException e) {
            return "{\"error\":" + quote(message(e, "The keyboard layout could not be set.")) + "}";
        }
    }

    @ClientCallable
    String listFiles() {
        if (files == null) {
            return "{\"error\":\"Files cannot be moved in or out of this desktop.\"}";
        }
        try {
            StringBuilder json = new StringBuilder("{\"files\":[");
            List<FileEntry> list = files.list();
            for (int i = 0; i < list.size(); i++) {
                json.append(i == 0 ? "" : ",").append("{\"name\":").append(quote(list.get(i).name()))
                        .append(",\"size\":").append(list.get(i).size()).append('}');
            }
            return json.append("]}").toString();
        } catch (RuntimeException e) {
            return "{\"error\":" + quote(message(e, "The files could not be listed.")) + "}";
        }
    }

    private void handleUpload(VaadinRequest request, VaadinResponse response, VaadinSession session,
                              com.vaadin.flow.dom.Element owner) throws IOException {
        FileTarget target = files;
        if (target == null || !"POST".equals(request.getMethod())) {
            response.sendError(405, "POST a file");
            return;
        }
        String header = request.getHeader(FILE_NAME_HEADER);
        String name = header == null ? null : URLDecoder.decode(header, StandardCharsets.UTF_8);
        try {
            long bytes = target.upload(name, request.getInputStream(), n -> { });
            json(response, 200, "{\"bytes\":" + bytes + "}");
        } catch (RuntimeException e) {
            json(response, 400, "{\"error\":" + quote(message(e, "The upload failed.")) + "}");
        }
    }

    private void handleDownload(VaadinRequest request, VaadinResponse response, VaadinSession session,
                                com.vaadin.flow.dom.Element owner) throws IOException {
        FileTarget target = files;
        String name = request.getParameter("name");
        if (target == null || name == null) {
            response.sendError(404, "no such file");
            return;
        }
        long size = -1;
        try {
            for (FileEntry f : target.list()) {
                if (f.name().equals(name)) {
                    size = f.size();
                }
            }
        } catch (RuntimeException e) {
            json(response, 400, "{\"error\":" + quote(message(e, "The download failed.")) + "}");
            return;
        }
        if (size < 0) {
            json(response, 404, "{\"error\":\"There is no such file in the desktop's folder.\"}");
            return;
        }
        response.setContentType("application/octet-stream");
        response.setHeader("Content-Disposition", "attachment; filename*=UTF-8''"
                + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"));
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLengthLong(size);
        try (OutputStream out = response.getOutputStream()) {
            target.download(name, out, n -> { });
        } catch (RuntimeException e) {
            // Headers are sent: the browser sees a short body against the announced length and fails the download.
            throw new IOException(message(e, "The download failed."), e);
        }
    }

    private static void json(VaadinResponse response, int status, String body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setContentLengthLong(bytes.length);
        try (OutputStream out = response.getOutputStream()) {
            out.write(bytes);
        }
    }

    private static String message(RuntimeException e, String fallback) {
        return e.getMessage() == null || e.getMessage().isBlank() ? fallback : e.getMessage();
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
