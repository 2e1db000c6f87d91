package io.atrium.broker;

import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopMachines;
import io.atrium.broker.pool.Pool;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The hypervisor edge, faked: VMs "start" instantly and can be made to crash. */
public class FakeDesktopMachines implements DesktopMachines {
    private final Map<String, Runnable> running = new ConcurrentHashMap<>();
    public final AtomicInteger starts = new AtomicInteger();
    public final AtomicInteger freshDisks = new AtomicInteger();
    public final AtomicInteger resets = new AtomicInteger();
    public final AtomicInteger shutdowns = new AtomicInteger();
    public final AtomicInteger discards = new AtomicInteger();

    @Override
    public void start(Desktop desktop, Pool pool, boolean freshDisk, Runnable onExit) {
        starts.incrementAndGet();
        if (freshDisk) {
            freshDisks.incrementAndGet();
        }
        running.put(desktop.id(), onExit);
    }

    @Override
    public void stop(String desktopId) {
        running.remove(desktopId);
    }

    @Override
    public Optional<Path> vncSocket(String desktopId) {
        return running.containsKey(desktopId) ? Optional.of(Path.of("/tmp/fake-vnc", desktopId)) : Optional.empty();
    }

    @Override
    public boolean isRunning(String desktopId) {
        return running.containsKey(desktopId);
    }

    @Override
    public void stopAll() {
        running.clear();
    }

    /** Simulates the VM dying on its own. */
    public void crash(String desktopId) {
        Runnable onExit = running.remove(desktopId);
        if (onExit != null) {
            onExit.run();
        }
    }

    @Override
    public void shutdown(String desktopId, Duration timeout) {
        if (running.remove(desktopId) != null) {
            shutdowns.incrementAndGet();
        }
    }

    @Override
    public void reset(String desktopId) {
        if (!running.containsKey(desktopId)) {
            throw new IllegalStateException("not running");
        }
        resets.incrementAndGet();
    }

    @Override
    public Optional<byte[]> screendump(String desktopId) {
        if (!running.containsKey(desktopId)) {
            return Optional.empty();
        }
        try (var out = new java.io.ByteArrayOutputStream()) {
            javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(4, 3, java.awt.image.BufferedImage.TYPE_INT_RGB),
                    "png", out);
            return Optional.of(out.toByteArray());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void discard(Desktop desktop) {
        running.remove(desktop.id());
        discards.incrementAndGet();
    }
}
