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

    public Path screenshot(String name) {
        Path file = Path.of("target", "screenshots", name + ".png").toAbsolutePath();
        page.screenshot(new Page.ScreenshotOptions().setPath(file).setFullPage(true));
        return file;
    }

    public String baseUrl() {
        return baseUrl;
    }
}
