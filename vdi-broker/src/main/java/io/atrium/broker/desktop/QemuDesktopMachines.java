package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.pool.Pool;
import io.atrium.vmm.Disks;
import io.atrium.vmm.QemuVm;
import io.atrium.vmm.VmSpec;
import io.atrium.vmm.VmmHost;
import io.atrium.vmm.image.GuestImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    private final Map<String, QemuVm> vms = new ConcurrentHashMap<>();

    QemuDesktopMachines(VmmHost host, GpuService gpus) {
        this.host = host;
        this.gpus = gpus;
    }

    @Override
    public void start(Desktop desktop, Pool pool, boolean freshDisk, Runnable onExit) throws IOException {
        stop(desktop.id());
        GuestImage image = image(pool);
        Path runDir = host.runDir(desktop.name());
        Files.createDirectories(runDir);
        Path overlay = runDir.resolve(VmmHost.OVERLAY_FILE);
        if (freshDisk || !Files.exists(overlay)) {
            Disks.delete(overlay);
            Disks.createLinkedClone(host.properties().qemuImgBinary(), image.goldenDisk(), overlay);
        }
        VmSpec spec = host.consoleSpec(desktop.name())
                .vcpus(pool.vcpus())
                .memoryMb(pool.memoryMb())
                .macAddress(desktop.mac())
                .extraArgs(gpus.qemuArgsFor(desktop.id()))
                .build();
        QemuVm vm = host.start(spec);
        vms.put(desktop.id(), vm);
        vm.onExit().whenComplete((code, error) -> {
            // Only a VM nobody stopped reports its exit: stop() removes it from the map first.
            if (vms.remove(desktop.id(), vm)) {
                log.warn("VM {} exited on its own (code {})", vm.name(), code);
                vm.close();
                onExit.run();
            }
        });
        log.info("desktop {} runs as QEMU pid {} ({})", desktop.name(), vm.pid(), host.accelerator());
    }

    private GuestImage image(Pool pool) {
        if (!"console".equals(pool.image())) {
            throw new BrokerException(BrokerStatus.INVALID_INPUT, "Unknown guest image '" + pool.image() + "'");
        }
        return host.images().console();
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
        vms.keySet().forEach(this::stop);
    }
}
