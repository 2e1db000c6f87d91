package io.atrium.e2e;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.CDPSession;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.google.gson.JsonObject;
import io.atrium.broker.image.ImageLibraryService;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.e2e.pages.DesktopPage;
import io.atrium.e2e.pages.DesktopPage.Colour;
import io.atrium.e2e.pages.LoginPage;
import io.atrium.e2e.pages.MyDesktopsPage;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.testing.DebianDiskImage;
import io.atrium.vmm.testing.HostileImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.json.JsonParserFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 8 end to end, with a real disk-bootable Debian image (built from Debian packages, cached by content hash):
 * version 1 is uploaded over REST (streamed PUT) and becomes a pool's image; the administrator uploads version 2
 * through Admin → Images and watches the progress bar move; it passes validation, sealing and its boot test, is
 * published to the pool at log off; the user logs off and their next Open gets version 2, as the guest itself reports
 * (its {@code /etc/atrium/version} through the QEMU guest agent, and the green banner only version 2 shows); a
 * rollback restores version 1; a version edited as a draft opens in the browser viewer. Every crafted hostile image is
 * refused over REST naming its rule, and one through the UI. Runs with {@code -Datrium.test.disk-image=true} (on in {@code .ci/test}).
 */
@EnabledIfSystemProperty(named = "atrium.test.disk-image", matches = "true")
class ImageLibraryE2ETest extends AdminBrowserTest {
    static final Duration READY = Duration.ofMinutes(6);
    static final Duration BOOT = Duration.ofMinutes(3);
    static final Colour VGA_GREEN = new Colour(0, 170, 0);
    static final String IMAGE = "debian-e2e";
    static final String POOL = "debian-e2e";
    static final String USER = "carol";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path fixtures;

    @RegisterExtension
    static final TestWatcher KEEP_LOGS = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (server != null) {
                System.err.println("QEMU logs kept in " + server.keepVmLogs("ImageLibraryE2ETest-"
                        + context.getDisplayName().replaceAll("\\W+", "_")));
            }
        }
    };

    static String imageId;
    static String poolId;

    @BeforeAll
    static void cleanSlate() throws Exception {
        // a failed earlier run of this test on the shared cache may have left its image and pool behind
        As.admin(() -> {
            PoolAdminService pools = server.bean(PoolAdminService.class);
            pools.list().stream().filter(p -> p.name().equals(POOL)).forEach(p -> pools.delete(p.id(), true));
            ImageLibraryService library = server.bean(ImageLibraryService.class);
            library.images().stream().filter(s -> s.image().name().equals(IMAGE))
                    .forEach(s -> library.deleteImage(s.image().id()));
        });
    }

    @AfterAll
    static void removeWhatThisTestMade() {
        As.admin(() -> {
            if (poolId != null) {
                server.bean(PoolAdminService.class).delete(poolId, true);
            }
            if (imageId != null) {
                // the pool's desktops are being discarded; their versions can go once nothing runs them
                long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (true) {
                    try {
                        server.bean(ImageLibraryService.class).deleteImage(imageId);
                        break;
                    } catch (RuntimeException e) {
                        if (System.nanoTime() > end) {
                            System.err.println("could not remove image " + IMAGE + ": " + e.getMessage());
                            break;
                        }
                        sleep(1000);
                    }
                }
            }
        });
    }

    @Test
    void uploadPublishAtLogOffRollBackAndRefuseHostileImages() throws Exception {
        DebianDiskImage images = DebianDiskImage.shared();
        Path v1File = images.qcow2(DebianDiskImage.V1);
        Path v2File = images.qcow2(DebianDiskImage.V2);

        // Admin → Images: a new image
        Page admin = adminPageAt("/admin/images");
        admin.locator("#image-name input").fill(IMAGE);
        admin.locator("#image-create").click();
        admin.locator(".image-card[data-image='" + IMAGE + "']").waitFor();
        imageId = (String) json(api("GET", "/api/images/" + IMAGE, null)).get("id");

        // version 1 over REST: a streamed PUT of the file, validation, marked sealed as it is, boot test
        String v1 = uploadOverRest(v1File, "qcow2", false);
        awaitVersion(v1, "DRAFT");
        assertThat(api("POST", "/api/image-versions/" + v1 + "/actions/mark-sealed", null).statusCode()).isEqualTo(200);
        Map<String, Object> ready1 = awaitVersion(v1, "READY");
        assertThat(ready1.get("guestAgent")).isEqualTo(true);
        assertThat(api("GET", "/api/image-versions/" + v1 + "/log", null).body()).contains("qemu-img info")
                .contains("committed as it is").contains("first real frame");

        // a pool of it: one desktop, an instant clone of version 1's template
        var created = api("POST", "/api/pools", """
                {"name":"%s","kind":"POOLED","image":"%s","vcpus":1,"memoryMb":%d,"minSize":1,"maxSize":1,"spares":0,
                 "entitled":["user:%s"],"idleTimeout":"PT30M","disconnectGrace":"PT30M","maxSessionLength":"PT10H"}"""
                .formatted(POOL, IMAGE, DebianDiskImage.MEMORY_MB, USER));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        poolId = (String) json(created).get("id");

        Page user = userPage();
        DesktopPage desktop = new MyDesktopsPage(user, server.baseUrl()).open(POOL);
        desktop.waitUntilConnected(BOOT);
        desktop.waitForPixels(Colour.VGA_BLUE, 2000, BOOT);
        String name = desktopName();
        assertThat(guestSays(name)).isEqualTo("v1 " + name);
        desktop.screenshot("image-1-user-on-v1");

        // version 2 through the UI, with the progress bar moving (the browser's upload is throttled); it is sealed
        // through its guest agent in a draft machine before its boot test
        admin.navigate(server.baseUrl() + "/admin/images");
        admin.locator("#upload-image").click();
        admin.locator("vaadin-select-item[role=option]:has-text('" + IMAGE + "')").click();
        CDPSession cdp = admin.context().newCDPSession(admin);
        cdp.send("Network.enable");
        JsonObject throttle = new JsonObject();
        throttle.addProperty("offline", false);
        throttle.addProperty("latency", 0);
        throttle.addProperty("downloadThroughput", -1);
        throttle.addProperty("uploadThroughput", 6 * 1024 * 1024);
        cdp.send("Network.emulateNetworkConditions", throttle);
        admin.locator("#image-upload input[type=file]").setInputFiles(v2File);
        Set<String> seen = new LinkedHashSet<>();
        Instant end = Instant.now().plus(Duration.ofMinutes(2));
        while (Instant.now().isBefore(end)) {
            Object value = admin.evaluate("() => document.querySelector('#image-upload-progress').value");
            seen.add(String.valueOf(value));
            if (value instanceof Number n && n.doubleValue() >= 1.0) {
                break;
            }
            admin.waitForTimeout(200);
        }
        JsonObject off = new JsonObject();
        off.addProperty("offline", false);
        off.addProperty("latency", 0);
        off.addProperty("downloadThroughput", -1);
        off.addProperty("uploadThroughput", -1);
        cdp.send("Network.emulateNetworkConditions", off);
        List<Double> between = seen.stream().map(Double::parseDouble).filter(v -> v > 0 && v < 1).distinct().toList();
        assertThat(between).as("progress values seen: " + seen).hasSizeGreaterThanOrEqualTo(2);
        assertThat(seen).contains("1");
        shot(admin, "image-2-upload-progress");
        Locator v2Row = admin.locator(".image-card[data-image='" + IMAGE + "'] .version-row[data-number='2']");
        v2Row.waitFor();
        String v2 = v2Row.getAttribute("data-version");
        admin.locator(".version-row[data-version='" + v2 + "'][data-state='READY']")
                .waitFor(new Locator.WaitForOptions().setTimeout(READY.toMillis()));
        shot(admin, "image-3-version-2-ready");

        // published to the pool at log off: the busy desktop keeps version 1 until its user logs off
        admin.navigate(server.baseUrl() + "/admin/pools/" + poolId);
        admin.locator("#pool-image-version").click();
        admin.locator("vaadin-select-item[role=option]:has-text('" + IMAGE + " v2')").click();
        admin.locator("#pool-image-publish").click();
        admin.locator("#pool-image-summary[data-rollout='RUNNING']").waitFor();
        admin.locator(".rollout-desktop[data-desktop='" + name + "'][data-progress='OLD']").waitFor();
        shot(admin, "image-4-published-at-log-off");
        assertThat(guestSays(name)).as("still the user's v1 desktop").isEqualTo("v1 " + name);

        user.locator("#log-off").click();
        user.waitForURL(url -> !url.contains("/desktop/"));
        desktop = new MyDesktopsPage(user, server.baseUrl()).open(POOL);
        desktop.waitUntilConnected(BOOT);
        desktop.waitForPixels(VGA_GREEN, 2000, BOOT);
        assertThat(guestSays(name)).as("what the guest reports").isEqualTo("v2 " + name);
        assertThat(desktop.countPixels(Colour.VGA_BLUE)).as("no v1 banner").isLessThan(500);
        desktop.screenshot("image-5-next-open-on-v2");
        admin.locator("#pool-image-summary[data-rollout='DONE']").waitFor();
        admin.locator(".rollout-desktop[data-desktop='" + name + "'][data-progress='NEW']").waitFor();

        // rollback: version 1 again at the next log off
        admin.locator("#pool-image-rollback").click();
        admin.locator("#pool-image-summary[data-rollout='RUNNING']").waitFor();
        user.locator("#log-off").click();
        user.waitForURL(url -> !url.contains("/desktop/"));
        desktop = new MyDesktopsPage(user, server.baseUrl()).open(POOL);
        desktop.waitUntilConnected(BOOT);
        desktop.waitForPixels(Colour.VGA_BLUE, 2000, BOOT);
        assertThat(guestSays(name)).isEqualTo("v1 " + name);
        desktop.screenshot("image-6-rolled-back-to-v1");
        admin.locator("#pool-image-summary[data-rollout='DONE']").waitFor();

        // editing version 1: a draft (a linked clone of it) whose machine opens in the browser viewer, then retired
        admin.navigate(server.baseUrl() + "/admin/images");
        admin.locator(".version-row[data-version='" + v1 + "'] .version-edit").click();
        Locator draft = admin.locator(".image-card[data-image='" + IMAGE + "'] .version-row[data-state='BUILDING']");
        draft.waitFor();
        String draftId = draft.getAttribute("data-version");
        draft.locator(".version-console").click();
        admin.waitForURL(url -> url.contains("/admin/images/draft/"));
        DesktopPage console = new DesktopPage(admin, server.baseUrl());
        console.waitUntilConnected(BOOT);
        console.waitForPixels(Colour.VGA_BLUE, 2000, BOOT);
        shot(admin, "image-8-draft-console");
        admin.navigate(server.baseUrl() + "/admin/images");
        admin.locator(".version-row[data-version='" + draftId + "'] .version-retire").click();
        admin.locator(".version-row[data-version='" + draftId + "'][data-state='RETIRED']").waitFor();

        // every hostile fixture over REST, each refused naming its rule; the quota before a byte is read
        Map<String, HostileImages.Fixture> hostile = HostileImages.build(fixtures, 512L << 20);
        for (HostileImages.Fixture f : hostile.values()) {
            String id = uploadOverRest(f.file(), f.claimed().id(), true);
            Map<String, Object> failed = awaitVersion(id, "FAILED");
            assertThat((String) failed.get("reason")).as(f.name()).contains("(" + f.rule().name() + ")")
                    .doesNotContain("host secret");
        }
        var start = api("POST", "/api/images/" + imageId + "/versions", "{\"format\":\"raw\"}");
        String big = (String) json(start).get("id");
        var tooLarge = HTTP.send(auth(HttpRequest.newBuilder(uri("/api/image-versions/" + big + "/disk")))
                .header("Content-Range", "bytes 0-0/" + (1L << 50))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1])).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(tooLarge.body()).contains("QUOTA");

        // and one through the UI: the version fails, naming the rule
        admin.navigate(server.baseUrl() + "/admin/images");
        admin.locator("#upload-image").click();
        admin.locator("vaadin-select-item[role=option]:has-text('" + IMAGE + "')").click();
        admin.locator("#image-upload input[type=file]").setInputFiles(hostile.get("backing").file());
        Locator refused = admin.locator(".image-card[data-image='" + IMAGE + "'] .version-row[data-state='FAILED']"
                + ":has(.version-reason:has-text('BACKING_FILE'))");
        refused.last().waitFor(new Locator.WaitForOptions().setTimeout(60_000));
        shot(admin, "image-7-hostile-upload-refused");
    }

    // ------------------------------------------------------------------ helpers

    /** What the guest of the machine reports through its QEMU guest agent: its version marker and hostname. */
    static String guestSays(String machine) {
        Path socket = server.vmmDataDir().resolve("run").resolve(machine).resolve("qga.sock");
        try (QgaClient qga = QgaClient.connect(socket, Duration.ofSeconds(60))) {
            String version = qga.exec(List.of("cat", "/etc/atrium/version"), Duration.ofSeconds(30)).stdoutText().strip();
            return version + " " + qga.hostname();
        }
    }

    static String desktopName() throws Exception {
        List<Object> desktops = JsonParserFactory.getJsonParser().parseList(
                api("GET", "/api/pools/" + poolId + "/desktops", null).body());
        assertThat(desktops).hasSize(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) desktops.getFirst();
        return (String) d.get("name");
    }

    Page userPage() {
        BrowserContext ctx = browser.browser.newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setViewportSize(1280, 800));
        Page page = ctx.newPage();
        page.setDefaultTimeout(60_000);
        LoginPage.logIn(page, server.baseUrl(), USER, USER);
        return page;
    }

    /** Starts a version by REST and streams the file as one PUT; returns the version's id. */
    static String uploadOverRest(Path file, String format, boolean autoSeal) throws Exception {
        var created = api("POST", "/api/images/" + imageId + "/versions", "{\"format\":\"" + format
                + "\",\"sizeBytes\":" + Files.size(file) + ",\"autoSeal\":" + autoSeal + "}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        Map<String, Object> v = json(created);
        var put = HTTP.send(auth(HttpRequest.newBuilder(uri((String) v.get("uploadUrl"))))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        return (String) v.get("id");
    }

    static Map<String, Object> awaitVersion(String id, String state) throws Exception {
        Instant end = Instant.now().plus(READY);
        Map<String, Object> v = Map.of();
        while (Instant.now().isBefore(end)) {
            v = json(api("GET", "/api/image-versions/" + id, null));
            if (state.equals(v.get("state"))) {
                return v;
            }
            if ("FAILED".equals(v.get("state")) || "RETIRED".equals(v.get("state"))) {
                break;
            }
            sleep(1000);
        }
        throw new AssertionError("version " + id + " did not become " + state + ": " + v + "\n"
                + api("GET", "/api/image-versions/" + id + "/log", null).body());
    }

    static HttpResponse<String> api(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = auth(HttpRequest.newBuilder(uri(path)));
        b.header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpRequest.Builder auth(HttpRequest.Builder b) {
        return b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:admin"
                .getBytes(StandardCharsets.UTF_8)));
    }

    static URI uri(String path) {
        return URI.create(server.baseUrl() + path);
    }

    static Map<String, Object> json(HttpResponse<String> response) {
        return JsonParserFactory.getJsonParser().parseMap(response.body());
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
