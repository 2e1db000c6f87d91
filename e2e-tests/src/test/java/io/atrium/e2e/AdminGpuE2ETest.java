package io.atrium.e2e;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import io.atrium.e2e.pages.LoginPage;
import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;

/** An administrator plans GPU slices for the demo pool on the host's (simulated) H100s. */
class AdminGpuE2ETest extends AdminBrowserTest {
    @Test
    void theAdminSeesEachGpuAsSimulatedAndGivesThePoolMigSlices() {
        Page page = adminPageAt("/admin/gpus");
        page.locator("#gpu-view").waitFor();

        Locator cards = page.locator(".gpu-card");
        assertThat(cards.count()).isEqualTo(2);
        assertThat(page.locator("#gpu-0 .gpu-kind").innerText()).isEqualTo("simulated");
        assertThat(page.locator("#gpu-0 .gpu-memory-row .gpu-free").count()).as("8 free memory slices on an empty H100").isEqualTo(8);

        choose(page, "#gpu-pool-select", "demo");
        choose(page, "#gpu-profile-select", "1g.10gb");
        page.locator("#gpu-profile-apply").click();

        page.locator(".gpu-pool-plan:has-text('placed 3 of 3')").waitFor();
        assertThat(page.locator(".gpu-memory-row .gpu-slice").count()).as("one 1g.10gb slice per demo desktop").isEqualTo(3);
        shot(page, "5-admin-gpu-slices");

        // A user is not an administrator: the GPU page is not theirs.
        Page alice = browser.browser.newContext().newPage();
        LoginPage.logIn(alice, server.baseUrl(), "alice", "alice");
        alice.navigate(server.baseUrl() + "/admin/gpus");
        // Vaadin answers a route the user may not see as if it did not exist; wait for that answer, then look.
        alice.getByText("Could not navigate to 'admin/gpus'").waitFor();
        assertThat(alice.locator("#gpu-view").count()).isZero();
        assertThat(alice.locator(".gpu-card").count()).isZero();
        alice.context().close();
    }

    private static void choose(Page page, String comboBox, String value) {
        Locator input = page.locator(comboBox + " input");
        input.click();
        input.fill(value);
        Locator item = page.locator("vaadin-combo-box-item").filter(new Locator.FilterOptions().setHasText(value)).first();
        try {
            item.click(new Locator.ClickOptions().setTimeout(15_000));
        } catch (RuntimeException e) {
            shot(page, "FAILED-choose-" + value);
            throw e;
        }
    }
}
