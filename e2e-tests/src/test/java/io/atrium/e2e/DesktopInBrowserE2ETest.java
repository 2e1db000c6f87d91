package io.atrium.e2e;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import io.atrium.e2e.pages.DesktopPage;
import io.atrium.e2e.pages.DesktopPage.Colour;
import io.atrium.e2e.pages.LoginPage;
import io.atrium.e2e.pages.MyDesktopsPage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The walking skeleton, end to end: real Atrium, real QEMU desktops, real Chromium.
 * Screenshots of the passing run go to target/screenshots; QEMU logs of a failing one to target/qemu-logs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DesktopInBrowserE2ETest {
    static final Duration TICKET_TTL = AtriumServer.TICKET_TTL;
    static final Duration BOOT = Duration.ofSeconds(120);

    static AtriumServer server;
    static Browser browser;
    final List<BrowserContext> contexts = new ArrayList<>();

    @RegisterExtension
    static final TestWatcher KEEP_LOGS = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (server != null) {
                System.err.println("QEMU logs kept in " + server.keepVmLogs(context.getDisplayName().replaceAll("\\W+", "_")));
            }
        }
    };

    @BeforeAll
    static void startAtrium() throws Exception {
        server = AtriumServer.shared();
        browser = new Browser();
    }

    @AfterAll
    static void stopAtrium() {
        if (browser != null) {
            browser.close();
        }
    }

    @AfterEach
    void closeContexts() {
        contexts.forEach(BrowserContext::close);
    }

    Page newPage() {
        BrowserContext ctx = browser.browser.newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setViewportSize(1280, 800));
        contexts.add(ctx);
        Page page = ctx.newPage();
        page.setDefaultTimeout(60_000);
        return page;
    }

    @Test
    @Order(1)
    void aUserOpensADesktopAndWorksInTheRealVm() {
        MyDesktopsPage mine = LoginPage.logIn(newPage(), server.baseUrl(), "alice", "alice");
        DesktopPage desktop = mine.open("demo");
        desktop.waitUntilConnected(BOOT);
        // The guest's shell prompt has a blue segment; QEMU's and SeaBIOS' placeholder screens have none.
        long blue = desktop.waitForPixels(Colour.VGA_BLUE, 300, BOOT);
        desktop.screenshot("1-guest-console");
        assertThat(desktop.countPixels(Colour.VGA_RED)).as("no red before the command").isLessThan(100);

        desktop.type("clear; for i in 1 2 3 4 5 6 7 8; do printf '\\033[41m%80s\\033[0m' ''; done; echo");
        desktop.press("Enter");

        long red = desktop.waitForPixels(Colour.VGA_RED, 30_000, Duration.ofSeconds(30));
        desktop.screenshot("2-typed-command-painted-red");
        assertThat(blue).isGreaterThanOrEqualTo(300);
        assertThat(red).isGreaterThanOrEqualTo(30_000);
        assertThat(desktop.status()).isEqualTo("connected");
    }

    @Test
    @Order(2)
    void aSecondUserCannotOpenTheFirstUsersDesktop() {
        DesktopPage alice = LoginPage.logIn(newPage(), server.baseUrl(), "alice", "alice").open("demo");
        alice.waitUntilConnected(BOOT);
        String alicesDesktop = alice.desktopId();

        Page bobPage = newPage();
        LoginPage.logIn(bobPage, server.baseUrl(), "bob", "bob");
        // Not in the UI: the viewer page of Alice's desktop refuses Bob.
        bobPage.navigate(server.baseUrl() + "/desktop/" + alicesDesktop);
        DesktopPage bobOnAlices = new DesktopPage(bobPage, server.baseUrl());
        bobOnAlices.error().waitFor();
        assertThat(bobOnAlices.error().innerText()).contains("not assigned to you");
        assertThat(bobOnAlices.viewer().count()).isZero();

        // Bob's own desktop is another one.
        bobPage.navigate(server.baseUrl() + "/");
        DesktopPage bob = new MyDesktopsPage(bobPage, server.baseUrl()).open("demo");
        bob.waitUntilConnected(BOOT);
        assertThat(bob.desktopId()).isNotEqualTo(alicesDesktop);

        // Not over the WebSocket with a ticket of his own, pointed at Alice's desktop...
        String bobsTicket = bob.newConnectionPath();
        Map<String, Object> own = bob.tryWebSocket(bobsTicket.replace("desktop=" + bob.desktopId(), "desktop=" + alicesDesktop));
        assertThat(own.get("code")).isEqualTo(4004);
        assertThat(own.get("greeting")).isEqualTo("");

        // ...nor with Alice's ticket.
        String alicesTicket = alice.newConnectionPath();
        Map<String, Object> stolen = bob.tryWebSocket(alicesTicket);
        assertThat(stolen.get("code")).isEqualTo(4004);
        assertThat(stolen.get("greeting")).isEqualTo("");

        assertThat(alice.status()).isEqualTo("connected");
        alice.screenshot("3-alice-still-connected");
    }

    @Test
    @Order(3)
    void usedExpiredAndMadeUpTicketsAreRefused() {
        DesktopPage carol = LoginPage.logIn(newPage(), server.baseUrl(), "carol", "carol").open("demo");
        carol.waitUntilConnected(BOOT);

        String path = carol.newConnectionPath();
        Map<String, Object> first = carol.tryWebSocket(path);
        assertThat((String) first.get("greeting")).startsWith("RFB 003.008");
        // The raw connection took the desktop over: the viewer says why it closed.
        carol.page().waitForCondition(() -> "4007".equals(carol.viewer().getAttribute("close-code")));
        assertThat(carol.overlayMessage()).contains("opened in another window");
        // The server's close-code table says reconnecting cannot help after 4007: the viewer stops and offers a button.
        carol.reconnectButton().waitFor();
        carol.screenshot("4-viewer-taken-over");

        Map<String, Object> used = carol.tryWebSocket(path);
        assertThat(used.get("code")).isEqualTo(4002);

        String late = carol.newConnectionPath();
        carol.page().waitForTimeout(TICKET_TTL.plusSeconds(1).toMillis());
        Map<String, Object> expired = carol.tryWebSocket(late);
        assertThat(expired.get("code")).isEqualTo(4003);

        Map<String, Object> madeUp = carol.tryWebSocket("/gateway/vnc?desktop=" + carol.desktopId()
                + "&ticket=dGhpcy1pcy1ub3QtYS1yZWFsLXRpY2tldC1hdC1hbGwtMDEy");
        assertThat(madeUp.get("code")).isEqualTo(4001);
        assertThat(madeUp.get("greeting")).isEqualTo("");
    }
}
