package io.atrium.web.console;

import io.atrium.broker.transfer.ClipboardAudit;
import io.atrium.broker.transfer.TransferPolicy;
import io.atrium.gateway.ClipboardPolicy;
import io.atrium.gateway.ClipboardTransfer;
import io.atrium.gateway.ConsoleEndpoint;
import io.atrium.gateway.ConsoleTarget;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;

/**
 * The gateway's clipboard reports become audit entries off the relay's thread, with who, which desktop, direction,
 * size and result; a flood is bounded and counted. The pool's policy reaches the gateway as its own value.
 */
class ClipboardAuditorTest {

    static final ConsoleTarget TARGET = new ConsoleTarget("desk-1", "alice", ConsoleEndpoint.unix("local", java.nio.file.Path.of("/run/v.sock")));

    @Test
    void aReportIsWrittenOnTheAuditThread() {
        ClipboardAudit audit = mock(ClipboardAudit.class);
        try (ClipboardAuditor auditor = new ClipboardAuditor(audit)) {
            auditor.report(TARGET, new ClipboardTransfer(ClipboardTransfer.Direction.GUEST_TO_BROWSER, 12,
                    ClipboardTransfer.Outcome.RELAYED));
            verify(audit, timeout(5000)).record("desk-1", "alice", ClipboardAudit.Direction.GUEST_TO_BROWSER, 12,
                    ClipboardAudit.Result.RELAYED);
        }
    }

    @Test
    void aFloodDoesNotBlockTheCallerAndWhatDoesNotFitIsCounted() throws Exception {
        ClipboardAudit audit = mock(ClipboardAudit.class);
        CountDownLatch hold = new CountDownLatch(1);
        doAnswer(inv -> {
            hold.await(10, TimeUnit.SECONDS);
            return null;
        }).when(audit).record(anyString(), anyString(), any(), anyLong(), any());
        try (ClipboardAuditor auditor = new ClipboardAuditor(audit)) {
            long start = System.nanoTime();
            for (int i = 0; i < ClipboardAuditor.QUEUE + 50; i++) {
                auditor.report(TARGET, new ClipboardTransfer(ClipboardTransfer.Direction.BROWSER_TO_GUEST, i,
                        ClipboardTransfer.Outcome.DROPPED_BY_POLICY));
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(5)).until(() -> auditor.lost() >= 49);
            assertThat(auditor.lost()).isBetween(49L, 50L); // one entry may already be on the writer thread
            hold.countDown();
        }
    }

    @Test
    void theClipboardPartOfThePoolsPolicyGoesToTheGateway() {
        assertThat(ConsoleGatewayConfig.clipboardOf(new TransferPolicy(TransferPolicy.ClipboardMode.GUEST_TO_BROWSER,
                2048, TransferPolicy.FileMode.NONE, 1))).isEqualTo(new ClipboardPolicy(false, true, 2048));
        assertThat(ConsoleGatewayConfig.clipboardOf(TransferPolicy.DEFAULT))
                .isEqualTo(ClipboardPolicy.both(TransferPolicy.DEFAULT.clipboardMaxBytes()));
    }
}
