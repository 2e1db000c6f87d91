package io.atrium.e2e.bench;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolSpec;
import io.atrium.e2e.AtriumServer;
import io.atrium.e2e.Browser;
import io.atrium.e2e.GuestShell;
import io.atrium.e2e.pages.DesktopPage;
import io.atrium.e2e.pages.LoginPage;
import io.atrium.vmm.host.VmmHost;
import io.atrium.vmm.qemu.RunDir;
import io.atrium.vmm.qga.QgaClient;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The desktop people work in, measured (a {@code main}, not a test): the whole product in this JVM with one X desktop
 * (instant clone, 256 MiB, TCG) in Debian's Chromium, and each measurement next to a baseline of the same run.
 *
 * <ul>
 *   <li><b>Clipboard round trip</b> browser → desktop → browser: the page's clipboard gets a new text, the viewer
 *       sends it when it gets the focus, a loop in the guest copies every new text back with a prefix (xclip,
 *       polling every 50 ms), and the time ends when the page's clipboard has the echo. Baseline: a <b>keystroke
 *       round trip</b>, a key typed into an xterm until the canvas changes (input to pixels through the same
 *       gateway and VNC connection).</li>
 *   <li><b>Resize to new frame</b>: the browser viewport changes size until the canvas has the viewer's new size
 *       (SetDesktopSize → virtio-gpu → the guest's hotplug hook → xrandr → new frame). Baseline: the same mode set
 *       in the guest itself ({@code xrandr --output Virtual-1 --mode 1024x768} through the guest agent) until the
 *       canvas has it.</li>
 *   <li><b>File upload</b> MB/s through the viewer (HTTP → broker → guest agent) and <b>download</b>. Baseline: the
 *       same bytes written and read by the host directly with the guest agent.</li>
 * </ul>
 * Parser fuzzing and throughput have their own harness, {@code gateway/bench/fuzz.sh}.
 *
 * <p>Usage: {@code DesktopWorkBenchmark [--reps 10] [--mib 8]}; prints a markdown section.
 */
public final class DesktopWorkBenchmark {
    static final String SECTION = "## The desktop people work in";

    public static void main(String[] args) throws Exception {
        int reps = 10;
        int mib = 8;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--reps" -> reps = Integer.parseInt(args[i + 1]);
                case "--mib" -> mib = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        AtriumServer server = AtriumServer.start(1, "30s");
        try (Browser browser = new Browser()) {
            Pool pool = admin(() -> server.bean(PoolAdminService.class).create(new PoolSpec("bench", PoolKind.POOLED,
                    "x-desktop", 1, 256, 1, 1, 0, List.of("group:demo"), Duration.ofMinutes(30),
                    Duration.ofMinutes(15), Duration.ofHours(8))));
            long t0 = System.nanoTime();
            while (admin(() -> server.bean(DesktopAdminService.class).poolStatus(pool.id())).ready() < 1) {
                if (System.nanoTime() - t0 > Duration.ofMinutes(10).toNanos()) {
                    throw new IllegalStateException("no X desktop ready after 10 minutes");
                }
                Thread.sleep(500);
            }
            BrowserContext ctx = browser.browser.newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                    .setViewportSize(1280, 800).setLocale("en-US")
                    .setPermissions(List.of("clipboard-read", "clipboard-write")));
            Page page = ctx.newPage();
            page.setDefaultTimeout(120_000);
            DesktopPage desktop = LoginPage.logIn(page, server.baseUrl(), "alice", "alice").open("bench");
            desktop.waitUntilConnected(Duration.ofSeconds(120));
            desktop.waitForKeyboardLayout("us", Duration.ofSeconds(60));
            String name = admin(() -> server.bean(DesktopAdminService.class).desktop(desktop.desktopId())).name();
            GuestShell guest = new GuestShell(server, name);
            page.waitForCondition(() -> desktop.remoteSize().equals(desktop.screenAreaSize()));

            List<Double> keystroke = keystrokes(desktop, guest, reps);
            List<Double> clipboard = clipboardRoundTrips(desktop, guest, reps);
            List<Double> resize = new ArrayList<>();
            List<Double> guestResize = new ArrayList<>();
            resizes(desktop, guest, Math.max(3, reps / 2), resize, guestResize);
            double[] upload = uploads(desktop, guest, server, name, mib);
            double[] download = downloads(desktop, guest, server, name, mib);

            String md = markdown(reps, mib, keystroke, clipboard, resize, guestResize, upload, download,
                    String.valueOf(server.bean(VmmHost.class).accelerator().accel()));
            System.out.println();
            System.out.println(md);
        } finally {
            server.close();
        }
        System.exit(0); // Playwright's driver threads are not daemons
    }

    // ------------------------------------------------------------------ measurements

    /** Page clock: a key pressed in a focused xterm until the canvas pixels change. */
    static List<Double> keystrokes(DesktopPage desktop, GuestShell guest, int reps) {
        guest.sh("setsid xterm -geometry 120x40+0+0 -title bench >/dev/null 2>&1 &"
                + " sleep 3");
        desktop.page().locator("atrium-viewer canvas").click(new com.microsoft.playwright.Locator.ClickOptions()
                .setPosition(300, 200));
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < reps + 1; i++) {
            Object t = desktop.page().evaluate("""
                    () => new Promise((resolve) => {
                      const c = document.querySelector('atrium-viewer').canvas;
                      const ctx = c.getContext('2d');
                      const sum = () => { const d = ctx.getImageData(0, 0, Math.min(c.width, 800), Math.min(c.height, 600)).data;
                        let s = 0; for (let k = 0; k < d.length; k += 16) s = (s * 31 + d[k]) | 0; return s; };
                      const before = sum();
                      const start = performance.now();
                      window.__atriumKey = start;
                      const poll = () => { if (sum() !== before) resolve(performance.now() - start);
                        else if (performance.now() - start > 20000) resolve(-1); else requestAnimationFrame(poll); };
                      requestAnimationFrame(poll);
                      document.querySelector('atrium-viewer')._rfb.sendKey(0x78, 'KeyX');
                    })""");
            double v = ((Number) t).doubleValue();
            if (i > 0 && v >= 0) {
                ms.add(v);
            }
            desktop.page().waitForTimeout(300);
        }
        return ms;
    }

    /** Page clock: new text in the page's clipboard and the focus event until the guest's echo is in the clipboard. */
    static List<Double> clipboardRoundTrips(DesktopPage desktop, GuestShell guest, int reps) {
        guest.write("/root/echo.sh", """
                #!/bin/sh
                last=""
                while true; do
                  t=$(xclip -selection clipboard -o 2>/dev/null)
                  case "$t" in echo:*) ;; *) if [ -n "$t" ] && [ "$t" != "$last" ]; then
                    printf 'echo:%s' "$t" | xclip -selection clipboard -i >/dev/null 2>&1; last="$t"; fi ;; esac
                  sleep 0.05
                done
                """.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        guest.sh("chmod +x /root/echo.sh; setsid /root/echo.sh >/dev/null 2>&1 &");
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < reps + 1; i++) {
            String text = "round trip " + i + " " + System.nanoTime();
            Object t = desktop.page().evaluate("""
                    async (text) => {
                      await navigator.clipboard.writeText(text);
                      const start = performance.now();
                      window.dispatchEvent(new Event('focus'));
                      for (;;) {
                        const now = await navigator.clipboard.readText();
                        if (now === 'echo:' + text) return performance.now() - start;
                        if (performance.now() - start > 30000) return -1;
                        await new Promise(r => setTimeout(r, 10));
                      }
                    }""", text);
            double v = ((Number) t).doubleValue();
            if (i > 0 && v >= 0) {
                ms.add(v);
            }
        }
        guest.sh("pkill -f '/root/[e]cho.sh' || true"); // [e]: not the shell running this pkill
        return ms;
    }

    static void resizes(DesktopPage desktop, GuestShell guest, int reps, List<Double> viewer, List<Double> inGuest) {
        int[][] sizes = {{1100, 760}, {1280, 800}};
        for (int i = 0; i < reps; i++) {
            int[] s = sizes[i % 2];
            long start = System.nanoTime();
            desktop.page().setViewportSize(s[0], s[1]);
            desktop.page().waitForCondition(() -> desktop.remoteSize().equals(desktop.screenAreaSize()),
                    new Page.WaitForConditionOptions().setTimeout(60_000));
            viewer.add((System.nanoTime() - start) / 1e6);

            String before = desktop.remoteSize();
            long g = System.nanoTime();
            guest.sh("xrandr --output Virtual-1 --mode 1024x768");
            desktop.page().waitForCondition(() -> desktop.remoteSize().equals("1024x768"),
                    new Page.WaitForConditionOptions().setTimeout(60_000));
            inGuest.add((System.nanoTime() - g) / 1e6);
            guest.sh("xrandr --output Virtual-1 --auto");
            desktop.page().waitForCondition(() -> desktop.remoteSize().equals(before),
                    new Page.WaitForConditionOptions().setTimeout(60_000));
        }
    }

    /** MB/s: through the viewer, then the same bytes with the guest agent directly. */
    static double[] uploads(DesktopPage desktop, GuestShell guest, AtriumServer server, String name, int mib)
            throws Exception {
        byte[] bytes = new byte[mib << 20];
        new Random(5).nextBytes(bytes);
        Path file = Files.createDirectories(Path.of("target", "bench-upload")).toAbsolutePath().resolve("upload.bin");
        Files.write(file, bytes);
        long start = System.nanoTime();
        desktop.upload(file, Duration.ofMinutes(10));
        double viewer = bytes.length / 1e6 / ((System.nanoTime() - start) / 1e9);
        Path qga = RunDir.of(server.bean(VmmHost.class).properties(), name).qgaSocket();
        long d;
        try (QgaClient client = QgaClient.connect(qga, Duration.ofSeconds(60))) {
            long s = System.nanoTime();
            client.writeFile("/root/direct.bin", new ByteArrayInputStream(bytes), bytes.length, null);
            d = System.nanoTime() - s;
        }
        return new double[] {viewer, bytes.length / 1e6 / (d / 1e9)};
    }

    static double[] downloads(DesktopPage desktop, GuestShell guest, AtriumServer server, String name, int mib)
            throws Exception {
        guest.sh("head -c " + (mib << 20) + " /dev/urandom > /root/Transfer/alice/download.bin");
        long start = System.nanoTime();
        desktop.download("download.bin", Duration.ofMinutes(10));
        double viewer = (mib << 20) / 1e6 / ((System.nanoTime() - start) / 1e9);
        Path qga = RunDir.of(server.bean(VmmHost.class).properties(), name).qgaSocket();
        long d;
        try (QgaClient client = QgaClient.connect(qga, Duration.ofSeconds(60))) {
            long s = System.nanoTime();
            client.readFile("/root/Transfer/alice/download.bin", new ByteArrayOutputStream(), 1L << 30, null);
            d = System.nanoTime() - s;
        }
        return new double[] {viewer, (mib << 20) / 1e6 / (d / 1e9)};
    }

    // ------------------------------------------------------------------ report

    static String markdown(int reps, int mib, List<Double> keystroke, List<Double> clipboard, List<Double> resize,
                           List<Double> guestResize, double[] upload, double[] download, String accel) {
        StringBuilder md = new StringBuilder(SECTION).append("\n\n");
        md.append(String.format(Locale.ROOT, """
                Harness: `io.atrium.e2e.bench.DesktopWorkBenchmark` (`e2e-tests/bench-desktop.sh`), one run, one X desktop \
                (instant clone, 1 vCPU, 256 MiB, %s) in headless Chromium, %s; %d repetitions (round trips), %d MiB files.

                | measurement | reps | p50 ms | p95 ms | baseline | baseline p50 ms | ratio (p50) |
                |---|---:|---:|---:|---|---:|---:|
                """, accel, LocalDate.now(), reps, mib));
        md.append(row("clipboard round trip browser → desktop → browser", clipboard,
                "keystroke round trip (key → new pixels)", keystroke));
        md.append(row("resize: browser window → new frame at the new size", resize,
                "same mode change made in the guest (xrandr via agent) → new frame", guestResize));
        md.append(String.format(Locale.ROOT, "| file upload through the viewer | 1 | %.2f MB/s | | guest agent write from "
                + "the host | %.2f MB/s | %.2f |%n", upload[0], upload[1], upload[0] / upload[1]));
        md.append(String.format(Locale.ROOT, "| file download through the viewer | 1 | %.2f MB/s | | guest agent read "
                + "from the host | %.2f MB/s | %.2f |%n", download[0], download[1], download[0] / download[1]));
        return md.toString();
    }

    private static String row(String what, List<Double> values, String baselineName, List<Double> baseline) {
        return String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %s | %.0f | %.2f |%n", what, values.size(),
                pct(values, 50), pct(values, 95), baselineName, pct(baseline, 50), pct(values, 50) / pct(baseline, 50));
    }

    static double pct(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    static <T> T admin(Supplier<T> body) {
        var auth = UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN")));
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(auth);
        SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.clearContext();
        }
    }
}
