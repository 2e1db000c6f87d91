package io.atrium.e2e.pages;

import com.microsoft.playwright.Page;

/** The login form. */
public final class LoginPage {
    private final Page page;

    public LoginPage(Page page) {
        this.page = page;
    }

    public static MyDesktopsPage logIn(Page page, String baseUrl, String user, String password) {
        page.navigate(baseUrl + "/login");
        page.locator("input[name=username]").fill(user);
        page.locator("input[name=password]").fill(password);
        page.locator("vaadin-button[slot=submit], button[type=submit]").first().click();
        page.waitForURL(url -> !url.contains("/login"));
        return new MyDesktopsPage(page, baseUrl);
    }
}
