package io.atrium.e2e;

import com.microsoft.playwright.Page;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolSpec;
import io.atrium.e2e.pages.DesktopPage;
import io.atrium.e2e.pages.LoginPage;
import io.atrium.e2e.pages.MyDesktopsPage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.naming.Context;
import javax.naming.NameAlreadyBoundException;
import javax.naming.directory.Attribute;
import javax.naming.directory.BasicAttribute;
import javax.naming.directory.BasicAttributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A directory user logs in and opens a desktop of a pool entitled to their LDAP group. The directory is the real
 * OpenLDAP server {@code .ci/test} starts ({@code start_test_slapd}); this test loads its users and groups as the
 * root DN. Without that server the test fails and says how to start one: it never skips.
 */
class LdapLoginE2ETest {
    static final String USER = "lena";
    static final String PASSWORD = "lena-directory-password";
    static final String GROUP = "ldap-engineering";

    static AtriumServer server;
    static Browser browser;
    static Pool pool;

    @BeforeAll
    static void start() throws Exception {
        if (AtriumServer.ldapUrl().isEmpty()) {
            throw new IllegalStateException("No test LDAP server: ATRIUM_TEST_LDAP_URL is not set. Run .ci/test, or "
                    + "(source .ci/lib.sh; start_test_slapd; trap - EXIT; env | grep ATRIUM_TEST_LDAP) and export those.");
        }
        loadDirectory();
        server = AtriumServer.shared();
        browser = new Browser();
        pool = As.admin(() -> server.bean(PoolAdminService.class).create(new PoolSpec("eng", PoolKind.POOLED, "console",
                1, 128, 1, 1, 0, List.of("group:" + GROUP), Duration.ofMinutes(30), Duration.ofMinutes(15),
                Duration.ofHours(8))));
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
    void aDirectoryUserLogsInAndOpensADesktopOfThePoolEntitledToTheirGroup() {
        Page page = browser.browser.newContext().newPage();
        page.setDefaultTimeout(60_000);
        // a wrong directory password is refused like any other
        LoginPage.submit(page, server.baseUrl(), USER, "not-her-password");
        page.waitForURL(url -> url.contains("error"));

        LoginPage.submit(page, server.baseUrl(), USER, PASSWORD);
        try {
            page.waitForURL(url -> !url.contains("/login"));
        } catch (RuntimeException e) {
            throw new AssertionError("the directory login stayed at " + page.url(), e);
        }
        MyDesktopsPage mine = new MyDesktopsPage(page, server.baseUrl());
        assertThat(page.locator("#current-user").innerText()).isEqualTo(USER);
        assertThat(mine.card("demo").count()).as("not in the demo group").isZero();
        DesktopPage desktop = mine.open("eng");
        desktop.waitUntilConnected(Duration.ofSeconds(120));
        desktop.waitForPixels(DesktopPage.Colour.VGA_BLUE, 300, Duration.ofSeconds(120));
        desktop.screenshot("13-ldap-user-on-her-desktop");
        assertThat(desktop.page().url()).contains("/desktop/");
    }

    /** Base entries, a user and a group with her as member (again harmless: existing entries are kept). */
    static void loadDirectory() throws Exception {
        Hashtable<String, String> env = new Hashtable<>();
        env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.ldap.LdapCtxFactory");
        env.put(Context.PROVIDER_URL, AtriumServer.ldapUrl().orElseThrow());
        env.put(Context.SECURITY_AUTHENTICATION, "simple");
        env.put(Context.SECURITY_PRINCIPAL, System.getenv().getOrDefault("ATRIUM_TEST_LDAP_ADMIN_DN", "cn=admin,dc=atrium,dc=test"));
        env.put(Context.SECURITY_CREDENTIALS, System.getenv().getOrDefault("ATRIUM_TEST_LDAP_ADMIN_PASSWORD", "atrium-ldap-admin"));
        DirContext ldap = new InitialDirContext(env);
        String base = AtriumServer.ldapBase();
        try {
            add(ldap, base, attrs("objectClass", List.of("top", "dcObject", "organization"), "dc", List.of("atrium"),
                    "o", List.of("Atrium test")));
            add(ldap, "ou=people," + base, attrs("objectClass", List.of("top", "organizationalUnit"), "ou", List.of("people")));
            add(ldap, "ou=groups," + base, attrs("objectClass", List.of("top", "organizationalUnit"), "ou", List.of("groups")));
            add(ldap, "uid=" + USER + ",ou=people," + base, attrs("objectClass", List.of("top", "person",
                            "organizationalPerson", "inetOrgPerson"), "uid", List.of(USER), "cn", List.of("Lena Directory"),
                    "sn", List.of("Directory"), "userPassword", List.of(PASSWORD)));
            add(ldap, "cn=" + GROUP + ",ou=groups," + base, attrs("objectClass", List.of("top", "groupOfNames"),
                    "cn", List.of(GROUP), "member", List.of("uid=" + USER + ",ou=people," + base)));
        } finally {
            ldap.close();
        }
    }

    private static BasicAttributes attrs(Object... pairs) {
        BasicAttributes a = new BasicAttributes(true);
        for (int i = 0; i < pairs.length; i += 2) {
            Attribute attr = new BasicAttribute((String) pairs[i]);
            ((List<?>) pairs[i + 1]).forEach(attr::add);
            a.put(attr);
        }
        return a;
    }

    private static void add(DirContext ldap, String dn, BasicAttributes attrs) throws Exception {
        try {
            ldap.createSubcontext(dn, attrs).close();
        } catch (NameAlreadyBoundException exists) {
            // loaded by an earlier run against the same server
        }
    }
}
