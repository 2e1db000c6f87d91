package io.atrium.e2e;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** An administrator creates a pool (after fixing bad input), watches its desktop and powers it. */
class AdminPoolsE2ETest extends AdminBrowserTest {
    @Test
    void theAdminCreatesAPoolWatchesItsDesktopAndUsesPowerActions() {
        Page page = adminPageAt("/admin/pools");
        page.locator("#pool-grid").waitFor();

        page.locator("#pool-create").click();
        page.locator("#pool-name input").waitFor();
        set(page, "#pool-name", "Bad Name!");
        set(page, "#pool-vcpus", "0");
        page.locator("#pool-save").click();
        // Each bad field is named, and nothing was created.
        page.locator("#pool-name[invalid]").waitFor();
        page.locator("#pool-vcpus[invalid]").waitFor();
        assertThat(page.locator("#pool-name [slot=error-message]").innerText()).isNotBlank();
        assertThat(page.locator("#pool-vcpus [slot=error-message]").innerText()).isNotBlank();
        shot(page, "6-pool-form-names-bad-fields");

        set(page, "#pool-name", "lab");
        set(page, "#pool-vcpus", "1");
        set(page, "#pool-minSize", "1");
        set(page, "#pool-maxSize", "1");
        set(page, "#pool-spares", "0");
        page.locator("#pool-save").click();
        page.locator(".pool-link[data-pool='lab']").click();

        Locator desktop = page.locator(".desktop-row[data-desktop='lab-1']");
        page.locator(".desktop-row[data-desktop='lab-1'][data-state='READY']").waitFor(new Locator.WaitForOptions().setTimeout(120_000));
        // The live thumbnail is a real screendump of the VM.
        page.waitForCondition(() -> (Boolean) page.evaluate(
                "() => { const i = document.querySelector(\".desktop-row[data-desktop='lab-1'] img.desktop-thumbnail\");"
                        + " return !!i && i.complete && i.naturalWidth > 100; }"),
                new Page.WaitForConditionOptions().setTimeout(30_000));
        shot(page, "7-pool-page-with-live-thumbnail");

        desktop.locator(".desktop-shutdown").click();
        page.locator(".desktop-row[data-desktop='lab-1'][data-state='STOPPED']").waitFor(new Locator.WaitForOptions().setTimeout(60_000));
        page.locator(".desktop-row[data-desktop='lab-1'] .desktop-start").click();
        page.locator(".desktop-row[data-desktop='lab-1'][data-state='READY']").waitFor(new Locator.WaitForOptions().setTimeout(120_000));
        shot(page, "8-desktop-started-again");

        // Delete the pool again; its VM goes with it.
        page.navigate(server.baseUrl() + "/admin/pools");
        page.locator(".pool-delete[data-pool='lab']").click();
        page.locator("#pool-delete-confirm").click();
        page.locator("vaadin-notification-card:has-text('Pool lab deleted')").waitFor();
        assertThat(server.bean(io.atrium.broker.pool.PoolRepository.class).findByName("lab")).isEmpty();
        page.waitForCondition(() -> page.locator(".pool-link[data-pool='lab']:visible").count() == 0);
    }

    private static void set(Page page, String field, String value) {
        Locator input = page.locator(field + " input");
        input.fill(value);
        input.press("Tab");
    }

}
