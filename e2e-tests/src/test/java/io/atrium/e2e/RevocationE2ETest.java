package io.atrium.e2e;

import com.microsoft.playwright.Page;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolSpec;
import io.atrium.e2e.pages.DesktopPage;
import io.atrium.e2e.pages.LoginPage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Revoking an entitlement while the user's viewer is open closes it within seconds with 4011 and its message, and a
 * new ticket is refused. The pool is personal, so the desktop stays assigned (its disk is kept for the
 * administrator) and it is the entitlement check itself that refuses the ticket.
 */
class RevocationE2ETest {
    static AtriumServer server;
    static Browser browser;
    static Pool pool;

    static PoolSpec spec(List<String> entitled) {
        return new PoolSpec("rev", PoolKind.PERSONAL, "console", 1, 128, 1, 1, 0, entitled, Duration.ofMinutes(30),
                Duration.ofMinutes(15), Duration.ofHours(8));
    }

    @BeforeAll
    static void start() throws Exception {
        server = AtriumServer.shared();
        browser = new Browser();
        pool = As.admin(() -> server.bean(PoolAdminService.class).create(spec(List.of("user:bob"))));
    }

    @AfterAll
    static void stop() {
        if (pool != null) {
            As.admin(() -> server.bean(PoolAdminService.class).delete(pool.id(), true));
        }
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void revokingTheEntitlementClosesTheOpenViewerWithinSecondsAndRefusesANewTicket() {
        Page page = browser.browser.newContext().newPage();
        page.setDefaultTimeout(60_000);
        DesktopPage bob = LoginPage.logIn(page, server.baseUrl(), "bob", "bob").open("rev");
        bob.waitUntilConnected(Duration.ofSeconds(120));

        long t0 = System.nanoTime();
        As.admin(() -> server.bean(PoolAdminService.class).update(pool.id(), spec(List.of("user:nobody"))));
        page.waitForCondition(() -> "4011".equals(bob.viewer().getAttribute("close-code")),
                new Page.WaitForConditionOptions().setTimeout(10_000));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(seconds).as("closed within seconds").isLessThan(10);
        assertThat(bob.overlayMessage()).contains("revoked");
        bob.reconnectButton().waitFor();
        bob.screenshot("14-viewer-closed-access-revoked");

        assertThatThrownBy(bob::newConnectionPath).hasMessageContaining("revoked");
    }
}
