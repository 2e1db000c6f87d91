package io.atrium.broker;

import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopMachines;
import io.atrium.broker.pool.Pool;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The hypervisor edge, faked: VMs "start" instantly and can be made to crash. */
public class FakeDesktopMachines implements DesktopMachines {
    private final Map<String, Runnable> running = new ConcurrentHashMap<>();
    public final AtomicInteger starts = new AtomicInteger();
    public final AtomicInteger freshDisks = new AtomicInteger();

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
}
