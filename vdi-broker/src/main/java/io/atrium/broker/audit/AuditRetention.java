package io.atrium.broker.audit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Deletes audit entries older than {@code atrium.broker.audit.retention}, every {@code purge-period} (thread
 * {@code audit-retention}), and records each purge that deleted something in the log itself.
 */
@Component
@EnableConfigurationProperties(AuditProperties.class)
class AuditRetention implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(AuditRetention.class);

    private final AuditLog audit;
    private final AuditProperties props;
    private final Clock clock;
    private volatile ScheduledExecutorService executor;

    AuditRetention(AuditLog audit, AuditProperties props, Clock clock) {
        this.audit = audit;
        this.props = props;
        this.clock = clock;
    }

    /** Deletes what is past retention now; returns how many entries went. */
    int purge() {
        int deleted = audit.deleteOlderThan(clock.instant().minus(props.retention()));
        if (deleted > 0) {
            log.info("audit: {} entries older than {} deleted", deleted, props.retention());
            audit.record("audit.purge", "audit", null, java.util.Map.of("deleted", deleted,
                    "retention", props.retention().toString()));
        }
        return deleted;
    }

    @Override
    public void start() {
        if (props.purgePeriod().isZero() || props.purgePeriod().isNegative()) {
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("audit-retention").daemon().factory());
        long ms = props.purgePeriod().toMillis();
        executor.scheduleWithFixedDelay(() -> {
            try {
                purge();
            } catch (RuntimeException e) {
                log.warn("audit purge failed: {}", e.toString());
            }
        }, Math.min(ms, 60_000), ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        ScheduledExecutorService ex = executor;
        if (ex != null) {
            ex.shutdownNow();
            executor = null;
        }
    }

    @Override
    public boolean isRunning() {
        return executor != null;
    }
}
