package io.atrium.e2e.pages;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** The desktop viewer page: the noVNC canvas inside {@code <atrium-viewer>}. */
public final class DesktopPage {
    /** An RGB colour with a tolerance (Tight/JPEG encodings may shift colours slightly). */
    public record Colour(int r, int g, int b) {
        public static final Colour VGA_BLUE = new Colour(0, 0, 170);
        public static final Colour VGA_RED = new Colour(170, 0, 0);
    }

    private final Page page;
    private final String baseUrl;

    public DesktopPage(Page page, String baseUrl) {
        this.page = page;
        this.baseUrl = baseUrl;
    }

    public Page page() {
        return page;
    }

    public String desktopId() {
        String url = page.url();
        return url.substring(url.indexOf("/desktop/") + "/desktop/".length()).replaceAll("[?#].*", "");
    }

    public Locator viewer() {
        return page.locator("atrium-viewer");
    }

    /** The viewer's Reconnect button, visible only once it stopped reconnecting on its own. */
    public Locator reconnectButton() {
        return page.locator("atrium-viewer #reconnect:visible");
    }

    public Locator error() {
        return page.locator("#desktop-error");
    }

    public String status() {
        return viewer().getAttribute("status");
    }

    public DesktopPage waitUntilConnected(Duration timeout) {
        page.locator("atrium-viewer[status=connected]").waitFor(new Locator.WaitForOptions().setTimeout(timeout.toMillis()));
        return this;
    }

    /** The text of the status overlay, e.g. why the viewer was disconnected. */
    public String overlayMessage() {
        return (String) page.evaluate("() => document.querySelector('atrium-viewer').shadowRoot.querySelector('.message').textContent");
    }

    /** How many canvas pixels are within 60 of the colour in each channel. */
    public long countPixels(Colour c) {
        Object n = page.evaluate("""
                ([r, g, b]) => {
                  const canvas = document.querySelector('atrium-viewer')?.canvas;
                  if (!canvas || canvas.width === 0) return 0;
                  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                  let n = 0;
                  for (let i = 0; i < data.length; i += 4) {
                    if (Math.abs(data[i] - r) < 60 && Math.abs(data[i + 1] - g) < 60 && Math.abs(data[i + 2] - b) < 60) n++;
                  }
                  return n;
                }""", java.util.List.of(c.r(), c.g(), c.b()));
        return ((Number) n).longValue();
    }

    public String canvasSize() {
        return (String) page.evaluate("() => { const c = document.querySelector('atrium-viewer').canvas; return c ? c.width + 'x' + c.height : 'none'; }");
    }

    /** Waits until at least {@code min} pixels of the colour show; returns the count. */
    public long waitForPixels(Colour c, long min, Duration timeout) {
        Instant end = Instant.now().plus(timeout);
        long n = 0;
        while (Instant.now().isBefore(end)) {
            n = countPixels(c);
            if (n >= min) {
                return n;
            }
            page.waitForTimeout(500);
        }
        Path shot = screenshot("FAILED-waiting-for-" + c.r() + "-" + c.g() + "-" + c.b());
        throw new AssertionError("(screenshot " + shot + ") expected at least " + min + " pixels of " + c + " on the desktop canvas ("
                + canvasSize() + "), saw " + n + " after " + timeout + "; viewer status " + status());
    }

    /** US-layout characters typed with Shift held, and the key that is pressed with it. */
    private static final Map<Character, String> SHIFTED = Map.ofEntries(
            Map.entry('!', "Digit1"), Map.entry('@', "Digit2"), Map.entry('#', "Digit3"), Map.entry('$', "Digit4"),
            Map.entry('%', "Digit5"), Map.entry('^', "Digit6"), Map.entry('&', "Digit7"), Map.entry('*', "Digit8"),
            Map.entry('(', "Digit9"), Map.entry(')', "Digit0"), Map.entry('_', "Minus"), Map.entry('+', "Equal"),
            Map.entry('{', "BracketLeft"), Map.entry('}', "BracketRight"), Map.entry('|', "Backslash"),
            Map.entry(':', "Semicolon"), Map.entry('"', "Quote"), Map.entry('<', "Comma"), Map.entry('>', "Period"),
            Map.entry('?', "Slash"), Map.entry('~', "Backquote"));

    /**
     * Types into the remote desktop as a person at a US keyboard does: characters that need Shift
     * are typed with Shift held down (VNC sends key presses, so the guest must see Shift too).
     */
    public void type(String text) {
        Locator canvas = page.locator("atrium-viewer canvas");
        canvas.click();
        var keyboard = page.keyboard();
        var pace = new com.microsoft.playwright.Keyboard.PressOptions().setDelay(40);
        for (char ch : text.toCharArray()) {
            if (SHIFTED.containsKey(ch)) {
                keyboard.press("Shift+" + SHIFTED.get(ch), pace);
            } else if (Character.isUpperCase(ch)) {
                keyboard.press("Shift+Key" + ch, pace);
            } else {
                keyboard.type(String.valueOf(ch), new com.microsoft.playwright.Keyboard.TypeOptions().setDelay(40));
            }
            page.waitForTimeout(30);
        }
    }

    public void press(String key) {
        page.keyboard().press(key);
    }

    /** Asks the server for a fresh console ticket path for this page's desktop, as the viewer does. */
    @SuppressWarnings("unchecked")
    public String newConnectionPath() {
        Object json = page.evaluate("() => document.querySelector('atrium-viewer').$server.newConnection()");
        Map<String, Object> answer = (Map<String, Object>) page.evaluate("j => JSON.parse(j)", json);
        if (answer.containsKey("error")) {
            throw new AssertionError("no ticket: " + answer.get("error"));
        }
        return (String) answer.get("path");
    }

    /**
     * Opens a raw WebSocket from this page to the gateway and reports what happened: whether the
     * VNC server greeted ("RFB ..."), and the close code and reason.
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> tryWebSocket(String path) {
        return (Map<String, Object>) page.evaluate("""
                (path) => new Promise((resolve) => {
                  const url = new URL(path, location.href);
                  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
                  const ws = new WebSocket(url.href);
                  ws.binaryType = 'arraybuffer';
                  let greeting = '';
                  ws.onmessage = (e) => {
                    greeting += String.fromCharCode(...new Uint8Array(e.data).slice(0, 12));
                    ws.close(1000);
                  };
                  ws.onclose = (e) => resolve({ greeting, code: e.code, reason: e.reason });
                  setTimeout(() => { try { ws.close(1000); } catch (x) {} resolve({ greeting, code: -1, reason: 'timeout' }); }, 15000);
                })""", path);
    }

    // ------------------------------------------------------------------ the viewer's tools

    /** The layout the viewer applied in the desktop ({@code keyboard-layout}), after connecting. */
    public String waitForKeyboardLayout(String code, Duration timeout) {
        page.locator("atrium-viewer[keyboard-layout='" + code + "']")
                .waitFor(new Locator.WaitForOptions().setTimeout(timeout.toMillis()));
        return code;
    }

    /** Text in the page's clipboard (the browser's, through the async Clipboard API; needs the permission). */
    public String pageClipboard() {
        return (String) page.evaluate("() => navigator.clipboard.readText()");
    }

    public void setPageClipboard(String text) {
        page.evaluate("t => navigator.clipboard.writeText(t)", text);
    }

    /** Hands text to noVNC directly, past the viewer's own check of the pool's policy (as a modified page could). */
    public void pasteIgnoringThePolicy(String text) {
        page.evaluate("t => document.querySelector('atrium-viewer')._rfb.clipboardPasteFrom(t)", text);
    }

    /** The page gets the focus back, as when the user returns to the tab: the viewer syncs the clipboard. */
    public void focusAgain() {
        page.evaluate("() => window.dispatchEvent(new Event('focus'))");
    }

    /** The viewer's remote desktop (canvas) size, e.g. {@code 1280x800}. */
    public String remoteSize() {
        return canvasSize();
    }

    /** The size of the viewer's screen area, which the viewer asks the desktop to take. */
    public String screenAreaSize() {
        return (String) page.evaluate("() => { const s = document.querySelector('atrium-viewer').shadowRoot"
                + ".querySelector('.screen'); return Math.floor(s.clientWidth) + 'x' + Math.floor(s.clientHeight); }");
    }

    /** Uploads through the viewer's Files panel (its file input) and waits until the desktop has the file. */
    public void upload(Path file, Duration timeout) {
        page.locator("atrium-viewer #files-toggle").click();
        page.locator("atrium-viewer #upload-input").setInputFiles(file);
        page.locator("atrium-viewer[transfer=uploaded], atrium-viewer[transfer=failed], atrium-viewer[transfer=refused]")
                .waitFor(new Locator.WaitForOptions().setTimeout(timeout.toMillis()));
        String state = viewer().getAttribute("transfer");
        if (!"uploaded".equals(state)) {
            throw new AssertionError("upload " + state + ": " + transferStatus());
        }
    }

    /** Drops a file onto the viewer's screen, as dragging it from the desktop of the computer does. */
    public void dropFile(String name, byte[] content, Duration timeout) {
        page.evaluate("""
                ([name, bytes]) => {
                  const dt = new DataTransfer();
                  dt.items.add(new File([new Uint8Array(bytes)], name));
                  const screen = document.querySelector('atrium-viewer').shadowRoot.querySelector('.screen');
                  screen.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
                  screen.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
                }""", java.util.List.of(name, toList(content)));
        page.locator("atrium-viewer[transfer=uploaded], atrium-viewer[transfer=failed], atrium-viewer[transfer=refused]")
                .waitFor(new Locator.WaitForOptions().setTimeout(timeout.toMillis()));
        if (!"uploaded".equals(viewer().getAttribute("transfer"))) {
            throw new AssertionError("drop upload " + viewer().getAttribute("transfer") + ": " + transferStatus());
        }
    }

    private static java.util.List<Integer> toList(byte[] bytes) {
        java.util.List<Integer> list = new java.util.ArrayList<>(bytes.length);
        for (byte b : bytes) {
            list.add(b & 0xFF);
        }
        return list;
    }

    /** The Files panel's status line. */
    public String transferStatus() {
        return page.locator("atrium-viewer #transfer-status").innerText();
    }

    /** Refreshes the Files panel and downloads {@code name} from it; returns the saved file. */
    public Path download(String name, Duration timeout) {
        if (!page.locator("atrium-viewer .files-panel").isVisible()) {
            page.locator("atrium-viewer #files-toggle").click();
        }
        page.locator("atrium-viewer #files-refresh").click();
        Locator button = page.locator("atrium-viewer .file[data-name='" + name + "'] button.download");
        button.waitFor(new Locator.WaitForOptions().setTimeout(timeout.toMillis()));
        com.microsoft.playwright.Download d = page.waitForDownload(new Page.WaitForDownloadOptions()
                .setTimeout(timeout.toMillis()), button::click);
        Path to = Path.of("target", "downloads", name).toAbsolutePath();
        d.saveAs(to);
        return to;
    }

    /**
     * Types {@code text} as a person at a German (QWERTZ) keyboard does: the browser reports the physical key (the
     * code) and the character it makes. Supports a-z, ä, ö, ü and Enter.
     */
    public void typeOnGermanKeyboard(String text) {
        com.microsoft.playwright.CDPSession cdp = page.context().newCDPSession(page);
        for (char ch : text.toCharArray()) {
            String code;
            int vk;
            switch (ch) {
                case 'z' -> { code = "KeyY"; vk = 'Z'; }
                case 'y' -> { code = "KeyZ"; vk = 'Y'; }
                case 'ä' -> { code = "Quote"; vk = 0xDE; }
                case 'ö' -> { code = "Semicolon"; vk = 0xC0; }
                case 'ü' -> { code = "BracketLeft"; vk = 0xBA; }
                case '\n' -> { code = "Enter"; vk = 13; }
                default -> {
                    if (ch < 'a' || ch > 'z') {
                        throw new IllegalArgumentException("no German key for " + ch);
                    }
                    code = "Key" + Character.toUpperCase(ch);
                    vk = Character.toUpperCase(ch);
                }
            }
            String key = ch == '\n' ? "Enter" : String.valueOf(ch);
            com.google.gson.JsonObject down = new com.google.gson.JsonObject();
            down.addProperty("type", "keyDown");
            down.addProperty("code", code);
            down.addProperty("key", key);
            down.addProperty("windowsVirtualKeyCode", vk);
            if (ch != '\n') {
                down.addProperty("text", key);
            } else {
                down.addProperty("text", "\r");
            }
            cdp.send("Input.dispatchKeyEvent", down);
            com.google.gson.JsonObject up = new com.google.gson.JsonObject();
            up.addProperty("type", "keyUp");
            up.addProperty("code", code);
            up.addProperty("key", key);
            up.addProperty("windowsVirtualKeyCode", vk);
            cdp.send("Input.dispatchKeyEvent", up);
            page.waitForTimeout(60);
        }
        cdp.detach();
    }

    public Path screenshot(String name) {
        Path file = Path.of("target", "screenshots", name + ".png").toAbsolutePath();
        page.screenshot(new Page.ScreenshotOptions().setPath(file).setFullPage(true));
        return file;
    }

    public String baseUrl() {
        return baseUrl;
    }
}
