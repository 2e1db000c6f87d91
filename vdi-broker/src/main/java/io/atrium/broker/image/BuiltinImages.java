package io.atrium.broker.image;

import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.api.BuiltinImage;
import io.atrium.vmm.api.Firmware;
import io.atrium.vmm.api.ImageHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Atrium's own recipes as images of the library, at start-up (after the demo pool is seeded, before the provisioner
 * starts): for each built-in image the host names its current version (the recipe's hash); a version of that id is
 * registered (READY: the host builds it on first use), pools that pin nothing yet (pools from before the library:
 * the migration pinned their built-in image) pin it, and pools that pin an older built-in version get the new one
 * published at log off (the host can only build the current recipe).
 */
@Component
class BuiltinImages implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(BuiltinImages.class);

    private final ImageRepository images;
    private final PoolImageRepository pins;
    private final PoolImages poolImages;
    private final PoolRepository pools;
    private final ImageHost host;
    private final AuditLog audit;
    private final Clock clock;
    private volatile boolean running;

    BuiltinImages(ImageRepository images, PoolImageRepository pins, PoolImages poolImages, PoolRepository pools,
                  ImageHost host, AuditLog audit, Clock clock) {
        this.images = images;
        this.pins = pins;
        this.poolImages = poolImages;
        this.pools = pools;
        this.host = host;
        this.audit = audit;
        this.clock = clock;
    }

    @Override
    public void start() {
        running = true;
        List<BuiltinImage> builtins;
        try {
            builtins = host.builtins();
        } catch (RuntimeException e) {
            log.warn("the host does not name its built-in images ({}); pools keep what they pin", e.getMessage());
            return;
        }
        for (BuiltinImage b : builtins) {
            register(b);
        }
        for (Pool pool : pools.findAll()) {
            Optional<PoolImageRepository.Pin> pin = pins.pin(pool.id());
            Optional<ImageVersion> pinned = pin.flatMap(PoolImageRepository.Pin::version).flatMap(images::findVersion);
            Optional<BuiltinImage> builtin = builtins.stream().filter(b -> b.name().equals(pool.image())).findFirst();
            if (pinned.isEmpty()) {
                poolImages.ensurePin(pool);
            } else if (builtin.isPresent() && pinned.get().source() == ImageVersion.Source.BUILTIN
                    && !pinned.get().id().equals(builtin.get().version()) && pins.running(pool.id()).isEmpty()) {
                ImageVersion current = images.findVersion(builtin.get().version()).orElseThrow();
                pins.insertRollout(new Rollout(UUID.randomUUID().toString(), pool.id(), Optional.of(pinned.get().id()),
                        current.id(), Rollout.Mode.AT_LOGOFF, 1, java.time.Duration.ZERO, false,
                        Rollout.State.RUNNING, null, AuditLog.SYSTEM, clock.instant(), Optional.empty()));
                poolImages.publish(current);
                images.log(current.id(), VersionLogEntry.Level.INFO, "Atrium's recipe changed: published to pool "
                        + pool.name() + " at log off");
                audit.recordAs(AuditLog.SYSTEM, null, "image.publish", io.atrium.broker.audit.AuditEvent.Outcome.SUCCESS,
                        "pool", pool.id(), Map.of("version", current.id(), "mode", "AT_LOGOFF", "reason",
                                "built-in recipe changed"));
            }
        }
    }

    private void register(BuiltinImage b) {
        String imageId = images.findImageByName(b.name()).map(Image::id).orElseGet(() -> {
            Image image = new Image("builtin-" + b.name(), b.name(), Image.Kind.BUILTIN, "Atrium's " + b.name()
                    + " recipe", clock.instant());
            images.insertImage(image);
            return image.id();
        });
        if (images.findVersion(b.version()).isPresent()) {
            return;
        }
        Instant now = clock.instant();
        images.insertVersion(new ImageVersion(b.version(), imageId, b.name(), images.nextNumber(imageId),
                VersionState.READY, ImageVersion.Source.BUILTIN, ImageVersion.Kind.DISK, Optional.empty(),
                Firmware.BIOS, 256, Optional.empty(), Optional.empty(), Optional.empty(), 0, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), false, null, AuditLog.SYSTEM, now, now));
        images.log(b.version(), VersionLogEntry.Level.INFO, "Atrium's built-in recipe " + b.name() + " (version named "
                + "by its recipe hash; the host builds it on first use)");
        log.info("built-in image {}: version {}", b.name(), b.version());
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** After the demo pool is seeded (DEFAULT_PHASE - 4096), before the provisioner (DEFAULT_PHASE). */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 2048;
    }
}
