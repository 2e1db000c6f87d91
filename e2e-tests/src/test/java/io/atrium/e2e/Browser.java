package io.atrium.e2e;

import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.BrowserType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Debian's Chromium driven by Playwright; fails loudly when it is not installed. */
public final class Browser implements AutoCloseable {
    public static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("ATRIUM_CHROMIUM", "/usr/bin/chromium"));

    private final Playwright playwright;
    public final com.microsoft.playwright.Browser browser;

    public Browser() {
        if (!Files.isExecutable(CHROMIUM)) {
            throw new IllegalStateException("Chromium is not installed at " + CHROMIUM
                    + ". Install it with: apt-get install chromium  (the test command .ci/test does this)");
        }
        playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(java.util.Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(CHROMIUM)
                .setHeadless(true)
                .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--no-first-run")));
    }

    @Override
    public void close() {
        browser.close();
        playwright.close();
    }
}
