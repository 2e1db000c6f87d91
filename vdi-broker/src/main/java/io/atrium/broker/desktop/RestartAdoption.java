package io.atrium.broker.desktop;

import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.api.MachineHost;
import io.atrium.vmm.api.MachineInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static io.atrium.broker.desktop.DesktopRepository.UserChange.CLEAR;
import static io.atrium.broker.desktop.DesktopRepository.UserChange.KEEP;

/**
 * What happens to desktops when Atrium stops and starts again.
 *
 * <p>At start-up: the workers start, recovery subscribes to the host's machine events, and machines a previous
 * Atrium process left running ({@code atrium.vmm.keep-vms-on-exit}) are re-adopted by name for the desktops that
 * were running (READY or assigned), and the image library's draft machines ({@link DesktopImages#otherMachinesToKeep}):
 * desktops keep their state and user; one that had a viewer is DISCONNECTED now (no
 * viewer survives a restart), so its disconnect grace starts. The host kills machines of other desktops. A desktop
 * whose machine should run but does not is FAILED ("not running when Atrium started"). Then every pool is
 * reconciled. Failure counts, lost-desktop notices and leases are in the database, so they survive too.
 *
 * <p>At stop: the subscription and the workers end, and the host is released (its machines detached and left
 * running with keep-vms-on-exit, otherwise stopped).
 */
@Component
class RestartAdoption implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(RestartAdoption.class);

    private final DesktopRepository desktops;
    private final PoolRepository pools;
    private final MachineHost machines;
    private final ProvisionerWorkers workers;
    private final DesktopRecovery recovery;
    private final PoolReconciler reconciler;
    private final ObjectProvider<DesktopImages> images;
    private volatile AutoCloseable subscription;

    RestartAdoption(DesktopRepository desktops, PoolRepository pools, MachineHost machines, ProvisionerWorkers workers,
                    DesktopRecovery recovery, PoolReconciler reconciler, ObjectProvider<DesktopImages> images) {
        this.desktops = desktops;
        this.pools = pools;
        this.machines = machines;
        this.workers = workers;
        this.recovery = recovery;
        this.reconciler = reconciler;
        this.images = images;
    }

    @Override
    public void start() {
        workers.start();
        subscription = recovery.watchMachines();
        adoptRunningMachines();
        for (Desktop d : desktops.findAllLive()) {
            if (DesktopState.MACHINE_EXPECTED.contains(d.state()) && machines.find(d.name()).isEmpty()) {
                desktops.transition(d.id(), List.of(d.state()), DesktopState.FAILED, CLEAR,
                        "Its virtual machine was not running when Atrium started");
            }
        }
        pools.findAll().forEach(reconciler::reconcile);
    }

    private void adoptRunningMachines() {
        List<Desktop> running = desktops.findAllLive().stream()
                .filter(d -> DesktopState.RUNNING.contains(d.state())).toList();
        Set<String> keep = running.stream().map(Desktop::name).collect(Collectors.toCollection(HashSet::new));
        DesktopImages library = images.getIfAvailable();
        if (library != null) {
            keep.addAll(library.otherMachinesToKeep()); // the image library's draft machines
        }
        Set<String> adopted = machines.adopt(keep).stream().map(MachineInfo::name).collect(Collectors.toSet());
        for (Desktop d : running) {
            if (adopted.contains(d.name()) && d.state() == DesktopState.CONNECTED) {
                desktops.transition(d.id(), List.of(DesktopState.CONNECTED), DesktopState.DISCONNECTED, KEEP, null);
            }
        }
        if (!adopted.isEmpty()) {
            log.info("re-adopted {} running desktop VM(s)", adopted.size());
        }
    }

    @Override
    public void stop() {
        AutoCloseable s = subscription;
        subscription = null;
        if (s != null) {
            try {
                s.close();
            } catch (Exception e) {
                log.debug("unsubscribe: {}", e.toString());
            }
        }
        workers.stop();
        machines.release();
    }

    @Override
    public boolean isRunning() {
        return workers.isRunning();
    }
}
