package io.atrium.e2e.pages;

import com.microsoft.playwright.Page;

/** The login form. */
public final class LoginPage {
    private final Page page;

    public LoginPage(Page page) {
        this.page = page;
    }

    public static MyDesktopsPage logIn(Page page, String baseUrl, String user, String password) {
        submit(page, baseUrl, user, password);
        page.waitForURL(url -> !url.contains("/login"));
        return new MyDesktopsPage(page, baseUrl);
    }

    /** Fills in and sends the login form; the caller waits for what should follow (an error, the next step). */
    public static void submit(Page page, String baseUrl, String user, String password) {
        page.navigate(baseUrl + "/login");
        page.locator("input[name=username]").fill(user);
        page.locator("input[name=password]").fill(password);
        page.locator("vaadin-button[slot=submit], button[type=submit]").first().click();
    }

    /** The login form's error text (title and message), once one shows. */
    public static String errorText(Page page) {
        var error = page.locator("vaadin-login-form [part=error-message], vaadin-login-form-wrapper [part=error-message]").first();
        error.waitFor();
        return error.innerText();
    }
}
