package io.atrium.broker.demo;

import io.atrium.broker.BrokerProperties;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.UUID;

/**
 * Creates the demo pool ({@code atrium.broker.demo.*}) if it does not exist, and applies its
 * configured size, spec and entitlements if it does. Runs before the provisioner starts.
 */
@Component
class DemoPoolSeeder implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(DemoPoolSeeder.class);

    private final PoolRepository pools;
    private final BrokerProperties props;
    private final Clock clock;
    private volatile boolean running;

    DemoPoolSeeder(PoolRepository pools, BrokerProperties props, Clock clock) {
        this.pools = pools;
        this.props = props;
        this.clock = clock;
    }

    @Override
    public void start() {
        running = true;
        BrokerProperties.Demo demo = props.demo();
        if (!demo.enabled()) {
            return;
        }
        Pool existing = pools.findByName(demo.name()).orElse(null);
        Pool pool = Pool.fixed(existing != null ? existing.id() : UUID.randomUUID().toString(), demo.name(),
                PoolKind.POOLED, demo.image(), demo.vcpus(), demo.memoryMb(), demo.size(), demo.entitled(),
                existing != null ? existing.createdAt() : clock.instant());
        pools.save(pool);
        log.info("demo pool '{}': {} desktops for {}", pool.name(), pool.size(), pool.entitled());
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 4096;
    }
}
