package io.atrium.broker.image;

import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopImages;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolImageCatalog;
import io.atrium.vmm.api.MachineSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which version a pool's desktops run: the one place that decides it ({@link #imageFor}), for the provisioner
 * ({@link DesktopImages}) and for rollouts. A desktop starts
 * <ol>
 *   <li>its pool's canary version, while fewer than the canary size of the pool's other desktops run it;</li>
 *   <li>otherwise the version a running rollout publishes;</li>
 *   <li>otherwise the pool's pinned version (a pool without a pin, or pinning a version of another image than the
 *       pool's, is pinned to its image's newest publishable version first: a migrated pool to its built-in image's
 *       current version).</li>
 * </ol>
 * The choice is recorded ({@code desktop_image}) as the version the desktop runs. Also the catalog of images a pool
 * may use ({@link PoolImageCatalog}) and the draft machines to keep across a restart.
 */
@Component
class PoolImages implements DesktopImages, PoolImageCatalog {
    private static final Logger log = LoggerFactory.getLogger(PoolImages.class);

    private final ImageRepository images;
    private final PoolImageRepository pins;

    PoolImages(ImageRepository images, PoolImageRepository pins) {
        this.images = images;
        this.pins = pins;
    }

    @Override
    public MachineSpec.ImageRef imageFor(Desktop desktop, Pool pool) {
        Optional<ImageVersion> chosen = versionFor(desktop, pool);
        if (chosen.isEmpty()) {
            log.warn("pool {}: image {} has no version that can be published; starting it as the host has it",
                    pool.name(), pool.image());
            return MachineSpec.ImageRef.of(pool.image());
        }
        pins.recordDesktop(desktop.id(), chosen.get().id());
        return new MachineSpec.ImageRef(chosen.get().imageName(), Optional.of(chosen.get().id()));
    }

    /** The version the desktop gets when its machine starts now (see the class comment). */
    Optional<ImageVersion> versionFor(Desktop desktop, Pool pool) {
        PoolImageRepository.Pin pin = ensurePin(pool).orElse(null);
        if (pin == null) {
            return Optional.empty();
        }
        if (pin.canaryVersion().isPresent() && pin.canarySize() > 0) {
            long others = pins.desktopVersions(pool.id()).entrySet().stream()
                    .filter(e -> !e.getKey().equals(desktop.id()) && e.getValue().equals(pin.canaryVersion().get()))
                    .count();
            if (others < pin.canarySize()) {
                return images.findVersion(pin.canaryVersion().get());
            }
        }
        return images.findVersion(target(pool.id()).orElse(pin.version().orElseThrow()));
    }

    /** The version the pool's desktops should run now, canary aside: a running rollout's, else the pin's. */
    Optional<String> target(String poolId) {
        Optional<Rollout> running = pins.running(poolId);
        if (running.isPresent()) {
            return Optional.of(running.get().to());
        }
        return pins.pin(poolId).flatMap(PoolImageRepository.Pin::version);
    }

    /**
     * The pool's pin, made or repaired first: a pool without one (or with one of another image than the pool's)
     * pins its image's newest publishable version, which becomes PUBLISHED.
     */
    Optional<PoolImageRepository.Pin> ensurePin(Pool pool) {
        Optional<PoolImageRepository.Pin> pin = pins.pin(pool.id());
        Optional<ImageVersion> pinned = pin.flatMap(PoolImageRepository.Pin::version).flatMap(images::findVersion);
        if (pinned.isPresent() && pinned.get().imageName().equals(pool.image())) {
            return pin;
        }
        Optional<ImageVersion> best = newestPublishable(pool.image());
        if (best.isEmpty()) {
            return Optional.empty();
        }
        pins.pinVersion(pool.id(), best.get().id());
        publish(best.get());
        pinned.ifPresent(this::supersedeIfUnused);
        log.info("pool {} pins {} ({})", pool.name(), best.get().label(), best.get().id());
        return pins.pin(pool.id());
    }

    /** The image's newest version that can be published (READY, PUBLISHED or SUPERSEDED), if any. */
    Optional<ImageVersion> newestPublishable(String imageName) {
        return images.findImageByName(imageName).stream()
                .flatMap(i -> images.findVersions(i.id()).stream())
                .filter(v -> v.kind() == ImageVersion.Kind.DISK && VersionState.PUBLISHABLE.contains(v.state()))
                .max(Comparator.comparingInt(ImageVersion::number));
    }

    /** READY or SUPERSEDED → PUBLISHED (it is pinned, a canary, or a rollout's target). */
    void publish(ImageVersion v) {
        if (v.state() != VersionState.PUBLISHED
                && images.transition(v.id(), List.of(VersionState.READY, VersionState.SUPERSEDED),
                VersionState.PUBLISHED, null)) {
            images.log(v.id(), VersionLogEntry.Level.INFO, "published");
        }
    }

    /** PUBLISHED → SUPERSEDED once no pool pins it, canaries it or rolls it out. */
    void supersedeIfUnused(ImageVersion v) {
        if (v.state() == VersionState.PUBLISHED && pins.poolsUsing(v.id()).isEmpty()
                && images.transition(v.id(), List.of(VersionState.PUBLISHED), VersionState.SUPERSEDED, null)) {
            images.log(v.id(), VersionLogEntry.Level.INFO, "superseded: no pool uses it any more (its files and "
                    + "template stay, so a rollback is fast)");
        }
    }

    @Override
    public List<String> imageNames() {
        return images.findImages().stream().map(Image::name)
                .filter(n -> newestPublishable(n).isPresent() || isBuiltinWithoutVersions(n)).sorted().toList();
    }

    /** A built-in image before its version was registered (start-up, or a broker without a host): offered anyway. */
    private boolean isBuiltinWithoutVersions(String name) {
        return images.findImageByName(name).filter(i -> i.kind() == Image.Kind.BUILTIN)
                .map(i -> images.findVersions(i.id()).isEmpty()).orElse(false);
    }

    @Override
    public Set<String> otherMachinesToKeep() {
        return new HashSet<>(images.draftMachines());
    }

    /** Desktop id → the version its machine was last started with, for a pool's live desktops. */
    Map<String, String> desktopVersions(String poolId) {
        return pins.desktopVersions(poolId);
    }
}
