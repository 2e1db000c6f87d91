package io.atrium.e2e.pages;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.WaitForSelectorState;

/** "My desktops": a card per desktop or pool with an Open button. */
public final class MyDesktopsPage {
    private final Page page;
    private final String baseUrl;

    public MyDesktopsPage(Page page, String baseUrl) {
        this.page = page;
        this.baseUrl = baseUrl;
        page.locator("#desktop-cards").waitFor();
    }

    public Locator card(String pool) {
        return page.locator(".desktop-card[data-pool='" + pool + "']");
    }

    public String stateOf(String pool) {
        return card(pool).locator(".desktop-state").innerText();
    }

    /** Clicks Open once the pool can offer a desktop, and waits for the viewer page. */
    public DesktopPage open(String pool) {
        Locator button = card(pool).locator("vaadin-button.open-desktop");
        page.waitForCondition(() -> !button.isDisabled(), new Page.WaitForConditionOptions().setTimeout(120_000));
        button.click();
        page.waitForURL(url -> url.contains("/desktop/"));
        page.locator("#viewer, #desktop-error").first().waitFor(new Locator.WaitForOptions().setState(WaitForSelectorState.ATTACHED));
        return new DesktopPage(page, baseUrl);
    }
}
