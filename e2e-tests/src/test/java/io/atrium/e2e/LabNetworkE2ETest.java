package io.atrium.e2e;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import io.atrium.e2e.pages.DesktopPage;
import io.atrium.e2e.pages.DesktopPage.Colour;
import io.atrium.e2e.pages.LoginPage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A school's lab network, end to end: the administrator creates a lab pool in the pool editor (its network section:
 * lab, a subnet); two students open their desktops in the browser and, typing there, one pings the other. The reply
 * is checked in the guest's serial log (the ping's output is tee'd there) and on screen. Deleting the pool removes its
 * switch from the host.
 */
class LabNetworkE2ETest extends AdminBrowserTest {
    private static final Duration BOOT = Duration.ofSeconds(120);
    private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.builder()
            .build();

    @RegisterExtension
    static final TestWatcher KEEP_LOGS = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (server != null) {
                System.err.println("QEMU logs kept in " + server.keepVmLogs("LabNetworkE2ETest"));
            }
        }
    };

    @Test
    void anAdminMakesALabPoolAndOneStudentPingsTheOtherFromTheBrowser() throws Exception {
        Page admin = adminPageAt("/admin/pools");
        admin.locator("#pool-grid").waitFor();
        admin.locator("#pool-create").click();
        admin.locator("#pool-name input").waitFor();
        set(admin, "#pool-name", "netlab");
        set(admin, "#pool-minSize", "2");
        set(admin, "#pool-maxSize", "2");
        set(admin, "#pool-spares", "0");
        set(admin, "#pool-entitled", "user:alice, user:bob");
        // the network section offers what this host can run, and says when changes apply
        assertThat(admin.locator("#pool-network-applies").innerText()).contains("new desktops");
        admin.locator("#pool-network-mode").click();
        admin.locator("vaadin-select-item:has-text('lab network')").click();
        admin.locator("#pool-network-subnet input").waitFor();
        // first a subnet that clashes with another lab? none yet; one that is not a subnet at all
        set(admin, "#pool-network-subnet", "10.83.0.1/24");
        admin.locator("#pool-save").click();
        admin.locator("#pool-network-subnet[invalid]").waitFor();
        assertThat(admin.locator("#pool-network-subnet [slot=error-message]").innerText()).contains("host bits set");
        set(admin, "#pool-network-subnet", "10.83.0.0/24");
        shot(admin, "net-1-lab-pool-editor");
        admin.locator("#pool-save").click();
        admin.locator("vaadin-notification-card:has-text('Pool netlab saved')").waitFor();

        admin.locator(".pool-link[data-pool='netlab']").click();
        for (String d : List.of("netlab-1", "netlab-2")) {
            admin.locator(".desktop-row[data-desktop='" + d + "'][data-state='READY']")
                    .waitFor(new Locator.WaitForOptions().setTimeout(BOOT.toMillis()));
        }
        Map<String, Object> network = api("GET", "/api/pools/" + poolId("netlab") + "/network");
        assertThat(network.get("mode")).isEqualTo("LAB");
        assertThat(network.get("subnet")).isEqualTo("10.83.0.0/24");
        String switchId = (String) network.get("switchId");
        assertThat(Files.exists(Path.of("/run/netns", server.networkPrefix() + "-lab-" + switchId))).isTrue();

        DesktopPage alice = student("alice");
        DesktopPage bob = student("bob");
        String bobsAddress = lease(desktopName(bob.desktopId()));
        assertThat(bobsAddress).startsWith("10.83.0.");

        alice.type("ping -c 3 " + bobsAddress + " | tee /dev/ttyS0");
        alice.press("Enter");
        Path alicesSerial = server.runDir().resolve(desktopName(alice.desktopId())).resolve("serial.log");
        String reply = awaitInFile(alicesSerial, Pattern.compile("3 packets transmitted, 3 packets received"),
                Duration.ofSeconds(60));
        assertThat(reply).contains("3 packets received");
        assertThat(Files.readString(alicesSerial, StandardCharsets.ISO_8859_1))
                .contains("64 bytes from " + bobsAddress);
        alice.screenshot("net-2-alice-pinged-bob");
        assertThat(alice.countPixels(Colour.VGA_BLUE)).isGreaterThan(100); // still her console

        // the pool goes, and its switch with it
        admin.navigate(server.baseUrl() + "/admin/pools");
        admin.locator(".pool-delete[data-pool='netlab']").click();
        admin.locator("#pool-delete-force").click();
        admin.locator("#pool-delete-confirm").click();
        admin.locator("vaadin-notification-card:has-text('Pool netlab deleted')").waitFor();
        Path namespace = Path.of("/run/netns", server.networkPrefix() + "-lab-" + switchId);
        Instant end = Instant.now().plusSeconds(30);
        while (Files.exists(namespace) && Instant.now().isBefore(end)) {
            admin.waitForTimeout(200);
        }
        assertThat(namespace).doesNotExist();
        assertThat(ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains("/net/lab-" + switchId + "/")).toList()).isEmpty();
    }

    private DesktopPage student(String user) {
        BrowserContext ctx = browser.browser.newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setViewportSize(1280, 800));
        Page page = ctx.newPage();
        page.setDefaultTimeout(60_000);
        DesktopPage desktop = LoginPage.logIn(page, server.baseUrl(), user, user).open("netlab");
        desktop.waitUntilConnected(BOOT);
        desktop.waitForPixels(Colour.VGA_BLUE, 300, BOOT);
        return desktop;
    }

    /** The address the desktop's DHCP lease gave it, from its serial log ({@code atrium-net: eth0 bound …}). */
    private static String lease(String desktopName) throws Exception {
        String line = awaitInFile(server.runDir().resolve(desktopName).resolve("serial.log"),
                Pattern.compile("atrium-net: eth0 bound (\\d+\\.\\d+\\.\\d+\\.\\d+)/"), BOOT);
        Matcher m = Pattern.compile("bound (\\d+\\.\\d+\\.\\d+\\.\\d+)/").matcher(line);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    /** Waits for a line matching {@code pattern} in {@code file}; returns the last such line. */
    private static String awaitInFile(Path file, Pattern pattern, Duration timeout) throws Exception {
        Instant end = Instant.now().plus(timeout);
        while (true) {
            if (Files.exists(file)) {
                String last = null;
                for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                    if (pattern.matcher(line).find()) {
                        last = line;
                    }
                }
                if (last != null) {
                    return last;
                }
            }
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("no " + pattern + " in " + file + " within " + timeout);
            }
            Thread.sleep(200);
        }
    }

    private static String poolId(String name) throws Exception {
        for (Object p : apiList("/api/pools")) {
            Map<?, ?> pool = (Map<?, ?>) p;
            if (name.equals(pool.get("name"))) {
                return (String) pool.get("id");
            }
        }
        throw new AssertionError("no pool " + name);
    }

    private static String desktopName(String desktopId) throws Exception {
        for (Object d : apiList("/api/pools/" + poolId("netlab") + "/desktops")) {
            Map<?, ?> desktop = (Map<?, ?>) d;
            if (desktopId.equals(desktop.get("id"))) {
                return (String) desktop.get("name");
            }
        }
        throw new AssertionError("no desktop " + desktopId);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> api(String method, String path) throws IOException, InterruptedException {
        return JSON.readValue(call(method, path), Map.class);
    }

    private static List<?> apiList(String path) throws IOException, InterruptedException {
        return JSON.readValue(call("GET", path), List.class);
    }

    private static String call(String method, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:admin".getBytes()))
                .build();
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(200);
            return response.body();
        }
    }

    private static void set(Page page, String field, String value) {
        Locator input = page.locator(field + " input");
        input.fill(value);
        input.press("Tab");
    }
}
