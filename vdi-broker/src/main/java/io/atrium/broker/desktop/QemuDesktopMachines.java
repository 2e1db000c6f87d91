package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerProperties;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.pool.Pool;
import io.atrium.vmm.VmmException;
import io.atrium.vmm.clone.Template;
import io.atrium.vmm.disk.Disks;
import io.atrium.vmm.host.VmmHost;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.qemu.AdoptableVm;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.RunDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Desktops as QEMU VMs on this host. Each desktop's VM is named after the desktop (its guest
 * hostname) and lives in {@code <data-dir>/run/<name>}, with its disk as a qcow2 linked clone of
 * the pool image's read-only golden disk.
 */
@Component
class QemuDesktopMachines implements DesktopMachines {
    private static final Logger log = LoggerFactory.getLogger(QemuDesktopMachines.class);

    private final VmmHost host;
    private final GpuService gpus;
    private final BrokerProperties props;
    private final Map<String, QemuVm> vms = new ConcurrentHashMap<>();

    QemuDesktopMachines(VmmHost host, GpuService gpus, BrokerProperties props) {
        this.host = host;
        this.gpus = gpus;
        this.props = props;
    }

    @Override
    public void start(Desktop desktop, Pool pool, boolean freshDisk, Runnable onExit) throws IOException {
        stop(desktop.id());
        GuestImage image = image(pool);
        Path runDir = host.runDir(desktop.name());
        Files.createDirectories(runDir);
        Path overlay = RunDir.of(runDir).overlay();
        List<String> gpuArgs = gpus.qemuArgsFor(desktop.id());
        boolean keepDisk = !freshDisk && Files.exists(overlay);
        QemuVm vm;
        if (props.instantClones() && !keepDisk && gpuArgs.isEmpty()) {
            // Instant clone: restore the pool's saved running desktop, then give it its own identity.
            Template template = host.instantClones().prepare(pool.image(), image, pool.vcpus(), pool.memoryMb());
            vm = host.instantClones().startFromTemplate(template,
                    template.cloneSpec(desktop.name(), desktop.mac(), runDir));
        } else {
            // Cold boot: a personal desktop's own disk, a real GPU device, or instant clones switched off.
            if (!keepDisk) {
                Disks.delete(overlay);
                Disks.createLinkedClone(host.properties().qemuImgBinary(), image.goldenDisk(), overlay);
            }
            vm = host.start(host.specFor(pool.image(), desktop.name())
                    .vcpus(pool.vcpus())
                    .memoryMb(Math.max(pool.memoryMb(), image.memoryMb()))
                    .macAddress(desktop.mac())
                    .extraArgs(gpuArgs)
                    .build());
        }
        vms.put(desktop.id(), vm);
        watch(desktop, vm, onExit);
        log.info("desktop {} runs as QEMU pid {} ({}, {})", desktop.name(), vm.pid(),
                vm.spec().incoming() ? "instant clone" : "cold boot", host.accelerator().accel());
    }

    private void watch(Desktop desktop, QemuVm vm, Runnable onExit) {
        vm.onExit().whenComplete((code, error) -> {
            // Only a VM nobody stopped reports its exit: stop() removes it from the map first.
            if (vms.remove(desktop.id(), vm)) {
                log.warn("VM {} exited on its own (code {})", vm.name(), code);
                vm.close();
                onExit.run();
            }
        });
    }

    private GuestImage image(Pool pool) {
        try {
            return host.images().byName(pool.image());
        } catch (VmmException e) {
            throw new BrokerException(BrokerStatus.INVALID_INPUT, "Unknown guest image '" + pool.image() + "'");
        }
    }

    @Override
    public void stop(String desktopId) {
        QemuVm vm = vms.remove(desktopId);
        if (vm != null) {
            vm.close();
        }
    }

    @Override
    public Optional<Path> vncSocket(String desktopId) {
        QemuVm vm = vms.get(desktopId);
        return vm != null && vm.isRunning() ? Optional.of(vm.vncSocket()) : Optional.empty();
    }

    @Override
    public boolean isRunning(String desktopId) {
        QemuVm vm = vms.get(desktopId);
        return vm != null && vm.isRunning();
    }

    @Override
    public void stopAll() {
        if (host.properties().keepVmsOnExit()) {
            // The VMs keep running; the next start re-adopts them (adoptRunning).
            vms.keySet().forEach(id -> {
                QemuVm vm = vms.remove(id);
                if (vm != null) {
                    log.info("VM {} keeps running (QEMU pid {}) after Atrium stops", vm.name(), vm.pid());
                    vm.detach();
                }
            });
            return;
        }
        vms.keySet().forEach(this::stop);
    }

    @Override
    public java.util.Set<String> adoptRunning(java.util.Collection<Desktop> desktops,
                                              java.util.function.Function<String, Runnable> onExit) {
        Map<String, Desktop> byName = new java.util.HashMap<>();
        desktops.forEach(d -> byName.put(d.name(), d));
        java.util.Set<String> adopted = new java.util.HashSet<>();
        for (AdoptableVm found : host.findRunning()) {
            Desktop d = byName.get(found.name());
            if (d == null || vms.containsKey(d.id())) {
                log.warn("killing QEMU pid {} in {}: it belongs to no running desktop", found.pid(), found.runDir());
                ProcessHandle.of(found.pid()).ifPresent(ProcessHandle::destroyForcibly);
                continue;
            }
            try {
                QemuVm vm = host.adopt(found.runDir());
                vms.put(d.id(), vm);
                watch(d, vm, onExit.apply(d.id()));
                adopted.add(d.id());
                log.info("desktop {} re-adopted: QEMU pid {} kept running across the restart", d.name(), vm.pid());
            } catch (RuntimeException e) {
                log.warn("desktop {}: cannot adopt QEMU pid {} ({}); killing it", d.name(), found.pid(), e.getMessage());
                ProcessHandle.of(found.pid()).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        return adopted;
    }

    @Override
    public void shutdown(String desktopId, Duration timeout) {
        // Removed from the map first, so its exit is not reported as a crash.
        QemuVm vm = vms.remove(desktopId);
        if (vm != null) {
            try {
                log.info("VM {}: {}", vm.name(), vm.shutdown(timeout));
            } finally {
                vm.close();
            }
        }
    }

    @Override
    public void reset(String desktopId) {
        QemuVm vm = vms.get(desktopId);
        if (vm == null || !vm.isRunning()) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "The virtual machine does not run");
        }
        vm.reset();
    }

    @Override
    public Optional<byte[]> screendump(String desktopId) {
        QemuVm vm = vms.get(desktopId);
        if (vm == null || !vm.isRunning()) {
            return Optional.empty();
        }
        Path png = vm.layout().screendumpFile();
        try {
            vm.screendump(png);
            return Optional.of(Files.readAllBytes(png));
        } catch (IOException | RuntimeException e) {
            log.debug("VM {}: no screendump: {}", vm.name(), e.getMessage());
            return Optional.empty();
        } finally {
            try {
                Files.deleteIfExists(png);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    @Override
    public void discard(Desktop desktop) {
        stop(desktop.id());
        Path runDir = host.runDir(desktop.name());
        Disks.delete(RunDir.of(runDir).overlay());
        if (Files.isDirectory(runDir)) {
            try (var paths = Files.walk(runDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | RuntimeException e) {
                log.warn("could not remove {}: {}", runDir, e.getMessage());
            }
        }
    }
}
