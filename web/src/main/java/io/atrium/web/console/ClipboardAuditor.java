package io.atrium.web.console;

import io.atrium.broker.transfer.ClipboardAudit;
import io.atrium.gateway.ClipboardTransfer;
import io.atrium.gateway.ConsoleTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns the gateway's clipboard reports into audit entries ({@link ClipboardAudit}). The gateway calls its listener
 * on the relay's threads, which must not block, so entries are written by one thread of their own
 * ({@code clipboard-audit}) from a bounded queue: a browser that floods clipboard messages cannot hold the relay up
 * nor fill memory; what does not fit is counted and logged as lost, never silently.
 */
final class ClipboardAuditor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClipboardAuditor.class);
    static final int QUEUE = 1000;

    private final ClipboardAudit audit;
    private final ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE), Thread.ofPlatform().name("clipboard-audit").daemon().factory());
    private final AtomicLong lost = new AtomicLong();

    ClipboardAuditor(ClipboardAudit audit) {
        this.audit = audit;
    }

    void report(ConsoleTarget target, ClipboardTransfer transfer) {
        ClipboardAudit.Direction direction = ClipboardAudit.Direction.valueOf(transfer.direction().name());
        ClipboardAudit.Result result = ClipboardAudit.Result.valueOf(transfer.outcome().name());
        try {
            writer.execute(() -> audit.record(target.desktopId(), target.username(), direction, transfer.bytes(),
                    result));
        } catch (RejectedExecutionException e) {
            long n = lost.incrementAndGet();
            if (n == 1 || n % 1000 == 0) {
                log.warn("audit: {} clipboard transfer entries lost so far (queue of {} full); the latest on desktop {}",
                        n, QUEUE, target.desktopId());
            }
        }
    }

    /** Entries that could not be queued. */
    long lost() {
        return lost.get();
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
