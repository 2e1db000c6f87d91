package io.atrium.e2e;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import io.atrium.broker.identity.AccountService;
import io.atrium.broker.identity.Lockout;
import io.atrium.broker.identity.Totp;
import io.atrium.broker.identity.UserAdminService;
import io.atrium.e2e.pages.LoginPage;
import io.atrium.e2e.pages.MyDesktopsPage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Logins in a real browser: the brute-force guard locks an address out after repeated wrong passwords and lets it in
 * again after the lockout period (the broker's clock is moved, nobody sleeps); TOTP enrolment with the QR code's key
 * and a login with a code the test computes (RFC 6238); single sign-on through a real OpenID Connect provider.
 */
class IdentityE2ETest {
    static AtriumServer server;
    static Browser browser;
    final List<BrowserContext> contexts = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        server = AtriumServer.shared();
        browser = new Browser();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
    }

    @AfterEach
    void closeContexts() {
        contexts.forEach(BrowserContext::close);
        // never leave a locked address behind for the next test class (they all log in from loopback)
        As.admin(() -> server.bean(UserAdminService.class).lockouts().forEach(l ->
                server.bean(UserAdminService.class).clearLockout(l.key())));
    }

    Page newPage() {
        BrowserContext ctx = browser.browser.newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setViewportSize(1280, 900));
        contexts.add(ctx);
        Page page = ctx.newPage();
        page.setDefaultTimeout(60_000);
        return page;
    }

    /** A local account with a password of its own (made by an administrator, its one-time password changed). */
    static String account(String name, String password) {
        UserAdminService users = server.bean(UserAdminService.class);
        As.admin(() -> {
            if (users.users().stream().noneMatch(a -> a.username().equals(name))) {
                UserAdminService.WithPassword w = users.create(new UserAdminService.NewUser(name, null, false, List.of("demo")));
                server.bean(AccountService.class).changePasswordFor(name, w.oneTimePassword(), password);
            }
        });
        return name;
    }

    @Test
    void repeatedWrongPasswordsLockTheAddressOutUntilTheLockoutPeriodHasPassed() {
        String erin = account("erin", "erin-right-password");
        // an administrator logged in beforehand (a lock stops logins, not sessions)
        Page admin = newPage();
        LoginPage.logIn(admin, server.baseUrl(), "admin", "admin");
        Page page = newPage();
        int failures = 0;
        while (failures < 10) {
            LoginPage.submit(page, server.baseUrl(), erin, "wrong-" + failures);
            page.waitForURL(url -> url.contains("error") || url.contains("locked"));
            if (page.url().contains("locked")) {
                // backing off: a person would wait a little; the test moves the broker's clock instead
                server.clock().advance(Duration.ofMinutes(2));
            } else {
                failures++;
            }
        }
        // ten failures: locked, the right password too, and the page says for how long
        LoginPage.submit(page, server.baseUrl(), erin, "erin-right-password");
        page.waitForURL(url -> url.contains("locked="));
        page.getByText("Too many failed attempts").first().waitFor();
        assertThat(page.getByText("Try again in").count()).isPositive();
        shot(page, "9-login-locked-out");
        assertThat(As.admin(() -> server.bean(UserAdminService.class).lockouts()))
                .anySatisfy(l -> {
                    assertThat(l.kind()).isEqualTo(Lockout.Kind.ADDRESS);
                    assertThat(l.lockedAt(server.clock().instant())).isTrue();
                });

        // administrators see it on the users page (the address, its failures, until when)
        admin.navigate(server.baseUrl() + "/admin/users");
        admin.locator("#lockout-grid").waitFor();
        admin.locator("#lockout-grid").getByText("until ").first().waitFor();
        shot(admin, "9b-admin-sees-the-lockout");

        // after the lockout period the right password works again
        server.clock().advance(Duration.ofMinutes(15).plusSeconds(1));
        MyDesktopsPage mine = LoginPage.logIn(page, server.baseUrl(), erin, "erin-right-password");
        assertThat(page.locator("#current-user").innerText()).isEqualTo("erin");
        assertThat(mine.card("demo").count()).isEqualTo(1);
    }

    @Test
    void aUserEnrolsAnAuthenticatorAndLogsInWithACodeComputedFromItsKey() {
        String frank = account("frank", "frank-right-password");
        Page page = newPage();
        LoginPage.logIn(page, server.baseUrl(), frank, "frank-right-password");
        page.locator("#account-link").click();
        page.locator("#mfa-enrol").click();
        page.locator("#totp-qr").waitFor();
        String key = page.locator("#totp-secret").innerText().strip();
        assertThat((Boolean) page.evaluate("() => { const i = document.querySelector('#totp-qr');"
                + " return i.complete && i.naturalWidth >= 200; }")).as("the QR code is drawn").isTrue();
        shot(page, "10-totp-enrolment-qr");
        byte[] secret = Totp.Base32.decode(key);
        page.locator("#enrol-code input").fill(Totp.code(secret, server.clock().instant()));
        page.locator("#enrol-confirm").click();
        Locator codes = page.locator("#recovery-codes");
        codes.waitFor();
        assertThat(codes.innerText().strip().split("\n")).hasSize(10);
        page.locator("#recovery-continue").click();
        page.locator("#mfa-state:has-text('On')").waitFor();

        page.locator("#logout").click();
        page.waitForURL(url -> url.contains("/login"));
        LoginPage.submit(page, server.baseUrl(), frank, "frank-right-password");
        page.waitForURL(url -> url.contains("/login/continue"));
        page.locator("#totp-code input").waitFor();
        // not logged in yet: the second factor first
        assertThat(page.locator("#desktop-cards").count()).isZero();
        page.locator("#totp-code input").fill("000000");
        page.locator("#totp-verify").click();
        page.locator("#totp-code[invalid]").waitFor();
        // the code of the next 30-second step (the enrolment used this one's)
        server.clock().advance(Duration.ofSeconds(30));
        page.locator("#totp-code input").fill(Totp.code(secret, server.clock().instant()));
        page.locator("#totp-verify").click();
        page.waitForURL(url -> !url.contains("/login"));
        new MyDesktopsPage(page, server.baseUrl());
        assertThat(page.locator("#current-user").innerText()).isEqualTo("frank");
        shot(page, "11-logged-in-with-totp");
    }

    @Test
    void singleSignOnThroughARealOpenIdConnectProviderLandsOnMyDesktops() {
        Page page = newPage();
        page.navigate(server.baseUrl() + "/login");
        Locator sso = page.locator("a.sso-login[data-registration=idp]");
        assertThat(sso.innerText()).isEqualTo("Sign in with Test IdP");
        sso.click();
        // the provider's own login page, on its own origin
        page.waitForURL(url -> url.startsWith(server.oidc().issuer()));
        page.locator("input[name=username]").fill(OidcProvider.USER);
        page.locator("input[name=password]").fill(OidcProvider.PASSWORD);
        page.locator("button[type=submit]").click();
        try {
            page.waitForURL(url -> url.startsWith(server.baseUrl()) && !url.contains("/login"));
        } catch (RuntimeException e) {
            shot(page, "FAILED-sso");
            throw new AssertionError("after the provider's login the browser is at " + page.url(), e);
        }
        MyDesktopsPage mine = new MyDesktopsPage(page, server.baseUrl());
        assertThat(page.locator("#current-user").innerText()).isEqualTo(OidcProvider.USER);
        // her groups came from the ID token: "demo" entitles her to the demo pool
        assertThat(mine.card("demo").count()).isEqualTo(1);
        shot(page, "12-logged-in-with-sso");
    }

    static void shot(Page page, String name) {
        page.screenshot(new Page.ScreenshotOptions().setFullPage(true)
                .setPath(Path.of("target", "screenshots", name + ".png").toAbsolutePath()));
    }
}
