package io.atrium.e2e;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import io.atrium.e2e.pages.LoginPage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Path;

/** What the administrator tests share: the shared Atrium server, Chromium, and an admin page. */
abstract class AdminBrowserTest {
    static AtriumServer server;
    static Browser browser;
    static BrowserContext context;

    @BeforeAll
    static void startBrowser() throws Exception {
        server = AtriumServer.shared();
        browser = new Browser();
        context = browser.browser.newContext(new com.microsoft.playwright.Browser.NewContextOptions().setViewportSize(1400, 1000));
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    /** A page logged in as the administrator, opened at {@code path}. */
    static Page adminPageAt(String path) {
        Page page = context.newPage();
        page.setDefaultTimeout(60_000);
        LoginPage.logIn(page, server.baseUrl(), "admin", "admin");
        page.navigate(server.baseUrl() + path);
        return page;
    }

    static void shot(Page page, String name) {
        page.screenshot(new Page.ScreenshotOptions().setFullPage(true)
                .setPath(Path.of("target", "screenshots", name + ".png").toAbsolutePath()));
    }
}
