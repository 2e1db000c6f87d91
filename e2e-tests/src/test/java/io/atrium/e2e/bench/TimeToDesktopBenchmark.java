package io.atrium.e2e.bench;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.e2e.Browser;
import io.atrium.e2e.pages.DesktopPage;
import io.atrium.e2e.pages.LoginPage;
import io.atrium.e2e.pages.MyDesktopsPage;
import io.atrium.vmm.host.VmmHost;
import io.atrium.web.AtriumApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Time to desktop in the browser (a {@code main} program, not a test): the whole product in this JVM
 * (Spring Boot app, H2 in memory, real QEMU console-guest desktops, the gateway) driven by Debian's
 * Chromium, started twice in one run: with instant clones (the default) and with
 * {@code atrium.broker.instant-clones=false} (a desktop is refreshed by a cold boot).
 *
 * <p>Per repetition, one user in a fresh browser context: log in (not timed), click <b>Open</b> on the
 * demo card and time until the viewer canvas shows the guest's blue prompt (at least 300 pixels of VGA
 * blue, checked in the page every 50 ms); for the first {@code --logoffs} repetitions the user then clicks
 * <b>Log off</b> and the time until the desktop is READY again (state polled in-process every 20 ms) and
 * until its screen shows the guest prompt again (QMP screendump every 100 ms) is taken.
 *
 * <p>Usage: {@code TimeToDesktopBenchmark [--reps 6] [--logoffs 4] [--write docs/benchmarks.md]}.
 */
public final class TimeToDesktopBenchmark {
    static final String SECTION = "## Time to desktop in the browser";
    static final int MIN_BLUE = 300;

    record Run(String variant, List<Double> openMs, List<Double> openJavaMs, List<Double> logoffReadyMs,
               List<Double> logoffPromptMs, double startupMs, String accel) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        int reps = Integer.parseInt(opts.getOrDefault("reps", "6"));
        int logoffs = Math.min(reps, Integer.parseInt(opts.getOrDefault("logoffs", "4")));
        String write = opts.get("write");
        // Users: the demo accounts alice, bob, carol (password = name) and more, made through the users administration.
        List<String> users = new ArrayList<>(List.of("alice", "bob", "carol"));
        for (int i = users.size() + 1; users.size() < reps; i++) {
            users.add(String.format("bench%02d", i));
        }
        List<String> userArgs = userArgs(users);

        List<Run> runs = new ArrayList<>();
        try (Browser browser = new Browser()) {
            runs.add(measure("instant", true, reps, logoffs, users, userArgs, browser));
            runs.add(measure("cold", false, reps, logoffs, users, userArgs, browser));
        }
        String md = markdown(runs.get(0), runs.get(1), reps, logoffs, String.join(" ", args));
        System.out.println();
        System.out.println(md);
        if (write != null) {
            writeSection(Path.of(write), md);
            System.out.println("wrote section to " + write);
        }
        System.exit(0); // Playwright's driver threads are not daemons.
    }

    // ------------------------------------------------------------------------------------------ one app start

    static Run measure(String variant, boolean instantClones, int reps, int logoffs, List<String> users,
                       List<String> userArgs, Browser browser) throws Exception {
        Path dataDir = Files.createDirectories(Path.of("target", "bench-data", variant).toAbsolutePath());
        Path shared = Path.of(System.getProperty("user.home"), ".cache", "atrium", "test-data");
        List<String> a = new ArrayList<>(List.of("--server.port=0",
                "--atrium.data-dir=" + dataDir,
                "--atrium.vmm.data-dir=" + shared,
                "--atrium.vmm.keep-vms-on-exit=false",
                "--spring.datasource.url=jdbc:h2:mem:bench-" + variant + ";DB_CLOSE_DELAY=-1",
                "--atrium.broker.demo.size=" + reps,
                "--atrium.broker.demo.image=console",
                "--atrium.broker.instant-clones=" + instantClones,
                "--spring.main.banner-mode=off",
                "--logging.level.io.atrium=WARN"));
        a.addAll(userArgs);
        a.add("--atrium.broker.demo.enabled=true");
        long t0 = System.nanoTime();
        System.out.printf("[%s] starting Atrium with %d console desktops (instant clones %s)%n", variant, reps,
                instantClones ? "on" : "off");
        ConfigurableApplicationContext ctx = new SpringApplicationBuilder(AtriumApplication.class).run(a.toArray(String[]::new));
        createUsers(ctx, users);
        Thread stop = new Thread(ctx::close, "bench-stop-" + variant);
        Runtime.getRuntime().addShutdownHook(stop);
        try {
            String base = "http://localhost:" + ctx.getEnvironment().getProperty("local.server.port");
            DesktopAdminService admin = ctx.getBean(DesktopAdminService.class);
            actAsAdmin();
            String poolId = admin.poolStatuses().stream().filter(s -> s.pool().name().equals("demo")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no demo pool")).pool().id();
            waitUntil(() -> admin.desktopsOf(poolId).stream().filter(d -> d.state() == DesktopState.READY).count() >= reps,
                    600_000, 200, "all " + reps + " demo desktops READY");
            // Cold-booted desktops are READY while the guest is still booting: wait for their prompts too.
            for (Desktop d : admin.desktopsOf(poolId)) {
                waitForPrompt(admin, d.id(), 120_000);
            }
            double startup = (System.nanoTime() - t0) / 1e6;
            String accel = String.valueOf(ctx.getBean(VmmHost.class).accelerator().accel());
            System.out.printf("[%s] %d desktops READY with their prompt after %.1f s (%s)%n", variant, reps, startup / 1000,
                    accel);

            List<Double> open = new ArrayList<>(), openJava = new ArrayList<>(), ready = new ArrayList<>(),
                    prompt = new ArrayList<>();
            for (int i = 0; i < reps; i++) {
                String user = users.get(i);
                try (BrowserContext bc = browser.browser.newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                        .setViewportSize(1280, 800))) {
                    Page page = bc.newPage();
                    MyDesktopsPage my = LoginPage.logIn(page, base, user, password(user));
                    double[] o = timeOpen(page, my, variant + "-" + user);
                    open.add(o[0]);
                    openJava.add(o[1]);
                    String desktopId = new DesktopPage(page, base).desktopId();
                    String line = String.format("[%s] %-8s open -> first frame %7.1f ms (browser clock), %7.1f ms (harness)",
                            variant, user, o[0], o[1]);
                    if (i < logoffs) {
                        double[] l = timeLogoff(page, admin, desktopId);
                        ready.add(l[0]);
                        prompt.add(l[1]);
                        line += String.format("; log off -> READY %7.1f ms, -> prompt on screen %7.1f ms", l[0], l[1]);
                    }
                    System.out.println(line);
                }
            }
            return new Run(variant, open, openJava, ready, prompt, startup, accel);
        } finally {
            SecurityContextHolder.clearContext();
            ctx.close(); // keep-vms-on-exit=false: stops every VM of this start
            Runtime.getRuntime().removeShutdownHook(stop);
            System.out.printf("[%s] Atrium stopped%n", variant);
        }
    }

    /**
     * Clicks Open and waits in the page for the guest's prompt on the viewer canvas. Returns the time on the
     * browser's clock (from the click event, captured in the page, to the check that saw the pixels; the page
     * stays the same document through Vaadin's navigation) and the time on the harness clock (before the
     * click call to after the wait returned).
     */
    static double[] timeOpen(Page page, MyDesktopsPage my, String shotName) {
        Locator button = my.card("demo").locator("vaadin-button.open-desktop");
        page.waitForCondition(() -> !button.isDisabled(), new Page.WaitForConditionOptions().setTimeout(120_000));
        page.evaluate("() => { window.__benchClick = undefined; document.addEventListener('click', "
                + "() => { if (window.__benchClick === undefined) window.__benchClick = performance.now(); }, true); }");
        long t0 = System.nanoTime();
        button.click();
        Object r = page.waitForFunction("""
                        (min) => {
                          const viewer = document.querySelector('atrium-viewer');
                          const canvas = viewer && viewer.canvas;
                          if (!canvas || canvas.width === 0) return false;
                          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                          let n = 0;
                          for (let i = 0; i < data.length; i += 4) {
                            if (Math.abs(data[i]) < 60 && Math.abs(data[i + 1]) < 60 && Math.abs(data[i + 2] - 170) < 60) n++;
                          }
                          if (n < min) return false;
                          return { at: performance.now(), click: window.__benchClick === undefined ? -1 : window.__benchClick, n };
                        }""", MIN_BLUE, new Page.WaitForFunctionOptions().setPollingInterval(50).setTimeout(120_000))
                .jsonValue();
        long t1 = System.nanoTime();
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) r;
        double click = ((Number) m.get("click")).doubleValue();
        double java = (t1 - t0) / 1e6;
        if (click < 0) {
            System.out.println("  (no click stamp in the page: a full page load? using the harness clock)");
        }
        double inPage = click < 0 ? java : ((Number) m.get("at")).doubleValue() - click;
        if (Boolean.getBoolean("bench.screenshots")) {
            new DesktopPage(page, "").screenshot("bench-" + shotName);
        }
        return new double[]{inPage, java};
    }

    /** Clicks Log off; returns ms until the desktop is READY again and until its screen shows the prompt. */
    static double[] timeLogoff(Page page, DesktopAdminService admin, String desktopId) {
        Locator logOff = page.locator("#log-off");
        logOff.waitFor();
        long t0 = System.nanoTime();
        logOff.click();
        waitUntil(() -> admin.desktop(desktopId).state() == DesktopState.READY, 180_000, 20,
                "desktop " + desktopId + " READY after log off");
        long ready = System.nanoTime();
        waitForPrompt(admin, desktopId, 120_000);
        long prompt = System.nanoTime();
        page.waitForURL(url -> !url.contains("/desktop/"));
        return new double[]{(ready - t0) / 1e6, (prompt - t0) / 1e6};
    }

    /** Polls the desktop's screen (QMP screendump) every 100 ms until it shows the guest's blue prompt. */
    static void waitForPrompt(DesktopAdminService admin, String desktopId, long timeoutMs) {
        waitUntil(() -> {
            Optional<byte[]> png = admin.screendump(desktopId);
            return png.isPresent() && blue(png.get()) >= MIN_BLUE;
        }, timeoutMs, 100, "the prompt on desktop " + desktopId + "'s screen");
    }

    static long blue(byte[] png) {
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            if (img == null) {
                return 0;
            }
            long n = 0;
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    int rgb = img.getRGB(x, y);
                    int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
                    if (r < 60 && g < 60 && Math.abs(b - 170) < 60) {
                        n++;
                    }
                }
            }
            return n;
        } catch (IOException e) {
            return 0;
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitUntil(Check check, long timeoutMs, long everyMs, String what) {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        while (true) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (RuntimeException e) {
                // e.g. a screendump while the VM restarts: try again
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > end) {
                throw new IllegalStateException("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            try {
                Thread.sleep(everyMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** The harness thread acts as the administrator for the in-process admin service (no HTTP, no bcrypt per poll). */
    static void actAsAdmin() {
        SecurityContextHolder.getContext().setAuthentication(UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_ADMIN"), new SimpleGrantedAuthority("ROLE_USER"))));
    }

    /**
     * The user list as command-line properties (they replace application.yml's whole list): the users with
     * password = name, role USER, group demo, and admin/admin. Bcrypt hashes are made now (cost 4: logins are
     * not timed, and they should not eat CPU).
     */
    /** No extra settings: the users are accounts in the database now ({@link #createUsers}). */
    static List<String> userArgs(List<String> users) {
        return List.of();
    }

    static final List<String> DEMO = List.of("alice", "bob", "carol");

    /** The demo accounts' password is their name; the benchmark's own accounts get a longer one. */
    static String password(String user) {
        return DEMO.contains(user) ? user : user + "-password";
    }

    /** The users beyond the demo accounts, as an administrator makes them (group demo, own password set). */
    static void createUsers(ConfigurableApplicationContext ctx, List<String> users) {
        var admin = ctx.getBean(io.atrium.broker.identity.UserAdminService.class);
        var accounts = ctx.getBean(io.atrium.broker.identity.AccountService.class);
        io.atrium.e2e.As.admin(() -> {
            for (String u : users) {
                if (!DEMO.contains(u)) {
                    var created = admin.create(new io.atrium.broker.identity.UserAdminService.NewUser(u, null, false,
                            List.of("demo")));
                    accounts.changePasswordFor(u, created.oneTimePassword(), password(u));
                }
            }
        });
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String k = args[i];
            if (!k.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + k);
            }
            k = k.substring(2);
            if (k.contains("=")) {
                m.put(k.substring(0, k.indexOf('=')), k.substring(k.indexOf('=') + 1));
            } else {
                m.put(k, args[++i]);
            }
        }
        return m;
    }

    // ------------------------------------------------------------------------------------------ statistics, report

    static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        int n = s.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** Nearest-rank percentile. */
    static double pct(List<Double> xs, double p) {
        List<Double> s = xs.stream().sorted().toList();
        if (s.isEmpty()) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * s.size());
        return s.get(Math.max(0, Math.min(s.size() - 1, rank - 1)));
    }

    static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    static List<Double> sum(List<Double> a, List<Double> b) {
        List<Double> s = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            s.add(a.get(i) + b.get(i));
        }
        return s;
    }

    static String row(String what, String run, List<Double> xs, String ratio) {
        return String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.1f | %s |", what, run, xs.size(), median(xs),
                pct(xs, 95), max(xs), ratio);
    }

    static String ratio(String name, List<Double> num, List<Double> den) {
        return String.format(Locale.ROOT, "%s = %.3f (p50), %.3f (p95)", name, median(num) / median(den), pct(num, 95) / pct(den, 95));
    }

    static String markdown(Run instant, Run cold, int reps, int logoffs, String args) {
        List<Double> baseline = sum(cold.logoffPromptMs(), cold.openMs());
        String cpu = cpuModel();
        int cores = Runtime.getRuntime().availableProcessors();
        StringBuilder md = new StringBuilder();
        md.append(SECTION).append("\n\n");
        md.append("""
                Harness: `io.atrium.e2e.bench.TimeToDesktopBenchmark` (e2e-tests test sources, a `main`, not a test). \
                The whole product runs in the harness JVM as in the e2e tests (Spring Boot app, H2 in memory, the \
                gateway, real QEMU desktops of the **console** guest, 128 MiB, 1 vCPU), driven by Debian's Chromium \
                (headless, Playwright for Java). Atrium is started twice, one after the other, in the same run: \
                **instant** (instant clones on, the default) and **cold** (`--atrium.broker.instant-clones=false`: \
                desktops are cold-booted, and a logged-off desktop is refreshed by a cold boot). Each start has a demo \
                pool of %d desktops, waits until all are READY and show their prompt, and stops all its VMs when closed.

                Per repetition one user (alice, bob, carol, bench04, …) in a fresh browser context logs in (not \
                timed), then:

                * **Open → first frame**: from the click on the demo card's **Open** (a capturing `click` listener \
                stamps `performance.now()` in the page; Vaadin navigates within the same document) until a check in \
                the page, every 50 ms (`page.waitForFunction`), sees at least %d pixels of the guest's VGA-blue prompt \
                on the `<atrium-viewer>` canvas. It includes the assignment, the navigation to the desktop view, the \
                console ticket, the WebSocket through the gateway to QEMU's VNC server and the first framebuffer update.
                * **Log off → READY** (first %d repetitions): from the harness's click on **Log off** in the desktop view \
                until the desktop's state is READY again (polled in-process every 20 ms), and **→ prompt on screen**: \
                until a QMP screendump of the desktop (every 100 ms, after READY) shows the blue prompt. They differ for \
                cold boots only: a cold-booted desktop is READY as soon as QEMU runs, before its guest has \
                booted, while an instant clone is READY only after its identity is applied, prompt on screen.

                Baseline for *Open → first frame*, which Atrium has no mode for (a user never waits for a boot: the \
                Open button is disabled until a desktop is READY): a desktop booted **on demand**, estimated per \
                repetition as *cold log off → prompt on screen* (stop the VM, fresh overlay, cold boot until the \
                guest's prompt) **plus** *Open → first frame* of the same repetition in the cold run; %d pairs. Ratios \
                are warm / baseline and instant / cold (p50 over p50, p95 over p95).

                - Machine: %d cores (%s), QEMU under %s, a shared dev VM; date %s; repetitions: %d opens and %d log offs per start.
                - Start-up to all desktops ready with their prompt (not a benchmark, for reference): instant %.1f s, cold %.1f s.

                """.formatted(reps, MIN_BLUE, logoffs, Math.min(logoffs, reps), cores, cpu, instant.accel(), LocalDate.now(), reps,
                logoffs, instant.startupMs() / 1000, cold.startupMs() / 1000));
        md.append("| measurement | run | reps | p50 ms | p95 ms | max ms | ratio |\n");
        md.append("|---|---|---:|---:|---:|---:|---|\n");
        md.append(row("Open → first frame in the browser, warm pool", "instant", instant.openMs(),
                ratio("warm / on-demand baseline", instant.openMs(), baseline))).append('\n');
        md.append(row("Open → first frame in the browser, warm pool", "cold", cold.openMs(), "")).append('\n');
        md.append(row("baseline: desktop booted on demand (cold log off → prompt + Open → first frame)", "cold", baseline, ""))
                .append('\n');
        md.append(row("Log off → READY again", "instant", instant.logoffReadyMs(),
                ratio("instant / cold", instant.logoffReadyMs(), cold.logoffReadyMs()))).append('\n');
        md.append(row("Log off → READY again", "cold", cold.logoffReadyMs(), "")).append('\n');
        md.append(row("Log off → prompt on screen again", "instant", instant.logoffPromptMs(),
                ratio("instant / cold", instant.logoffPromptMs(), cold.logoffPromptMs()))).append('\n');
        md.append(row("Log off → prompt on screen again", "cold", cold.logoffPromptMs(), "")).append('\n');
        md.append("\nHarness clock for Open → first frame (before Playwright's `click()` to after the wait returned; it "
                + "adds Playwright's actionability checks and round trips): ");
        md.append(String.format(Locale.ROOT, "instant p50 %.1f ms, p95 %.1f ms; cold p50 %.1f ms, p95 %.1f ms.%n",
                median(instant.openJavaMs()), pct(instant.openJavaMs(), 95), median(cold.openJavaMs()), pct(cold.openJavaMs(), 95)));
        md.append("""

                Reproduce from the repository root (builds what is needed offline; add `--write docs/benchmarks.md` to \
                update this section; run it while nothing else loads the machine):

                ```
                e2e-tests/bench.sh %s
                ```
                """.formatted(args.replaceAll("\\s*--write\\s+\\S+", "").trim()));
        return md.toString();
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    /** Replaces the section (up to the next level-2 heading) or appends it. */
    static void writeSection(Path file, String md) throws IOException {
        String doc = Files.readString(file);
        int start = doc.indexOf(SECTION + "\n");
        String out;
        if (start < 0) {
            out = doc.stripTrailing() + "\n\n" + md;
        } else {
            int next = doc.indexOf("\n## ", start + SECTION.length());
            out = doc.substring(0, start) + md + (next < 0 ? "" : "\n" + doc.substring(next + 1));
        }
        Files.writeString(file, out);
    }
}
