package io.atrium.vmm.host;

import io.atrium.vmm.qemu.AdoptableVm;
import io.atrium.vmm.disk.DirectoryCache;
import io.atrium.vmm.disk.Disks;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.RunDir;
import io.atrium.vmm.qemu.ShutdownResult;
import io.atrium.vmm.clone.Template;
import io.atrium.vmm.VmmException;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.Progress;
import io.atrium.vmm.api.ConsoleEndpoint;
import io.atrium.vmm.api.GuestReply;
import io.atrium.vmm.api.GuestRequest;
import io.atrium.vmm.api.HostPreparation;
import io.atrium.vmm.api.HostNetworking;
import io.atrium.vmm.api.MachineEvent;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.MachineHost;
import io.atrium.vmm.api.MachineInfo;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.api.ShutdownOutcome;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.network.HostNetworks;
import io.atrium.vmm.network.NetworkUnavailableException;
import io.atrium.vmm.qemu.NetBackend;
import io.atrium.vmm.library.LibraryStore;
import io.atrium.vmm.library.NoCloudSeed;
import io.atrium.vmm.qga.QgaClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machines of this host as QEMU VMs, behind the {@link MachineHost} contract. A machine named {@code n} lives in
 * {@code dataDir/run/n} with its disk as a qcow2 overlay ({@code disk.qcow2}) over the image's read-only golden disk
 * or an instant-clone template's base.
 *
 * <p>How a machine comes up ({@link #start}): an <b>instant clone</b> when the spec prefers it, its disk is fresh
 * ({@link MachineSpec.DiskPolicy#FRESH}, or {@code KEEP} while it has no disk yet) and it has no GPU device;
 * otherwise a <b>cold boot</b> on a linked clone ({@code KEEP} reuses the existing overlay), with the GPU
 * attachment's arguments on QEMU's command line. Memory is the larger of the spec's and the image's minimum.
 *
 * <p>Events: {@link MachineEvent.Started} on start and adopt; {@link MachineEvent.Ready} right after the identity of
 * an instant clone was confirmed, or for a cold boot when the image's ready marker appears on the serial log (watched
 * on a virtual thread for at most {@code readyTimeout}; {@code start} never waits for it);
 * {@link MachineEvent.Exited} once per machine: {@code STOPPED} after {@link #stop}, {@link #shutdown} or
 * {@link #discard}, {@code UNEXPECTED} when nobody asked. Events go to the listeners on one thread
 * ({@code atrium-machine-events}), in the order they happened, so in order per machine; listener code never runs
 * under this class's lock (events are only queued under it).
 *
 * <p>Networks ({@link MachineSpec#network()}): isolated needs nothing; NAT and lab attachments are made by
 * {@link HostNetworks} (the NAT namespace, the lab switch) before QEMU starts, and a machine is detached from its
 * switch when it ends, so a switch no longer wanted ({@link #retainNetworks}) goes with its last machine. Without
 * {@code HostNetworks} (or where it lacks privileges) only isolated machines start; others are {@code INVALID_SPEC}.
 * {@link #release()} without keep-vms-on-exit removes every desktop network too; {@link #adopt} re-adopts them.
 *
 * <p>Thread safety: every method may be called from any thread; calls for one machine name must not overlap (the
 * broker serializes them). Machine names are checked before they become paths.
 */
public final class LocalMachineHost implements MachineHost {

    private static final Logger log = LoggerFactory.getLogger(LocalMachineHost.class);
    /** How long a cold-booted guest may take to print its image's ready marker before no Ready event is sent. */
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofMinutes(5);
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Set<String> IMAGES = Set.of(GuestImages.CONSOLE, GuestImages.X_DESKTOP);

    private final VmmHost host;
    /** Desktop networks, or null: isolated machines only. */
    private final HostNetworks networks;
    private final String hostId;
    private final Duration readyTimeout;
    private final Clock clock;
    private final Object lock = new Object();
    /** Machines this host runs, by name. Guarded by {@link #lock}. */
    private final Map<String, Machine> machines = new HashMap<>();
    private final List<Consumer<MachineEvent>> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService events = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("atrium-machine-events").daemon().factory());
    /** Closes guest agent connections nobody used for a while (GuestOperations.IDLE). */
    private final java.util.concurrent.ScheduledExecutorService agentIdle =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("atrium-guest-agent-idle").daemon()
                    .factory());
    private volatile boolean released;

    /** One running machine; its end is reported by whoever wins {@link #exitReported}. */
    private static final class Machine {
        final QemuVm vm;
        final MachineInfo info;
        /** Requests into its guest; null when it has no guest agent channel. */
        final GuestOperations guest;
        final AtomicBoolean exitReported = new AtomicBoolean();
        /** Set by stop, shutdown and discard before they end the VM: its exit is theirs to report. */
        volatile boolean stopping;

        Machine(QemuVm vm, MachineInfo info, boolean guestAgent) {
            this.vm = vm;
            this.info = info;
            this.guest = guestAgent ? new GuestOperations(info.name(), vm.layout().qgaSocket()) : null;
        }
    }

    /**
     * A host with the id from {@code atrium.vmm.host-id} and the default ready timeout, without desktop networks
     * (isolated machines only).
     */
    public LocalMachineHost(VmmHost host) {
        this(host, null);
    }

    /** A host with the id from {@code atrium.vmm.host-id}, the default ready timeout and these desktop networks. */
    public LocalMachineHost(VmmHost host, HostNetworks networks) {
        this(host, networks, host.properties().hostId(), DEFAULT_READY_TIMEOUT, Clock.systemUTC());
    }

    /** Without desktop networks. */
    public LocalMachineHost(VmmHost host, String hostId, Duration readyTimeout, Clock clock) {
        this(host, null, hostId, readyTimeout, clock);
    }

    /**
     * @param networks     desktop networks, or null for isolated machines only
     * @param hostId       this host's id ({@link VmmProperties#isHostId})
     * @param readyTimeout how long to watch a cold-booted guest's serial log for its ready marker
     */
    public LocalMachineHost(VmmHost host, HostNetworks networks, String hostId, Duration readyTimeout, Clock clock) {
        this.host = Objects.requireNonNull(host, "host");
        this.networks = networks;
        if (!VmmProperties.isHostId(hostId)) {
            throw new IllegalArgumentException("not a host id (a short label): " + hostId);
        }
        this.hostId = hostId;
        this.readyTimeout = Objects.requireNonNull(readyTimeout, "readyTimeout");
        this.clock = Objects.requireNonNull(clock, "clock");
        agentIdle.scheduleWithFixedDelay(this::closeIdleAgents, 2, 2, TimeUnit.SECONDS);
    }

    private void closeIdleAgents() {
        List<Machine> all;
        synchronized (lock) {
            all = List.copyOf(machines.values());
        }
        for (Machine m : all) {
            if (m.guest != null) {
                try {
                    m.guest.closeIfIdle();
                } catch (RuntimeException e) {
                    log.debug("machine {}: closing an idle guest agent connection failed: {}", m.info.name(), e.toString());
                }
            }
        }
    }

    @Override
    public String hostId() {
        return hostId;
    }

    @Override
    public MachineInfo start(MachineSpec spec) {
        Objects.requireNonNull(spec, "spec");
        requireOpen();
        String name = spec.name();
        GuestImage image = image(spec.image());
        List<Path> media = media(spec.image());
        stop(name);
        Path runDir = host.runDir(name);
        Path overlay = RunDir.of(runDir).overlay();
        List<String> gpuArgs = spec.gpu().map(MachineSpec.GpuAttachment::qemuArgs).orElse(List.of());
        boolean keepDisk = spec.disk() == MachineSpec.DiskPolicy.KEEP && Files.exists(overlay);
        boolean instant = spec.boot() == MachineSpec.BootMode.INSTANT_CLONE_PREFERRED && !keepDisk && gpuArgs.isEmpty()
                && image.instantCloneCapable() && media.isEmpty();
        int memoryMb = Math.max(spec.memoryMb(), image.memoryMb());
        NetBackend network = attachNetwork(spec);
        QemuVm vm;
        try {
            Files.createDirectories(runDir);
            if (instant) {
                // Restore the image's saved running machine, then give it its own identity (start returns after it).
                Template template = host.instantClones().prepare(image.name(), image, spec.vcpus(), memoryMb);
                vm = host.instantClones().startFromTemplate(template,
                        template.cloneSpec(name, spec.mac(), runDir, network));
            } else {
                // Cold boot: the machine's own disk, a GPU device, or instant clones not wanted.
                if (!keepDisk) {
                    Disks.delete(overlay);
                    Disks.delete(RunDir.of(runDir).efiVars());
                    Disks.createLinkedClone(host.properties().qemuImgBinary(), image.goldenDisk(), overlay);
                }
                if (image.efiVars() != null) {
                    Disks.createVarStore(image.efiVars(), RunDir.of(runDir).efiVars());
                }
                List<Path> cdroms = new ArrayList<>(media);
                if (image.bootsFromDisk()) {
                    // first-boot configuration (hostname) of a library version: a cloud-init NoCloud seed
                    cdroms.add(NoCloudSeed.write(RunDir.of(runDir).seedIso(), name));
                }
                vm = host.start(host.specFor(image, name).vcpus(spec.vcpus()).memoryMb(memoryMb)
                        .macAddress(spec.mac()).cdroms(cdroms).extraArgs(gpuArgs).network(network).build());
            }
        } catch (VmmException | IllegalArgumentException | IOException e) {
            detachNetwork(name);
            throw new MachineException(MachineException.Kind.FAILED,
                    "machine " + name + " did not start: " + e.getMessage(), e);
        }
        MachineInfo info = new MachineInfo(name, hostId, vm.pid(),
                instant ? MachineInfo.BootKind.INSTANT_CLONE : MachineInfo.BootKind.COLD_BOOT, console(vm),
                clock.instant());
        Machine machine = new Machine(vm, info, image.guestAgent());
        boolean wasReleased;
        synchronized (lock) {
            wasReleased = released;
            if (!wasReleased) {
                machines.put(name, machine);
                emit(new MachineEvent.Started(name, info.startedAt(), info));
                if (instant) {
                    emit(new MachineEvent.Ready(name, clock.instant()));
                }
            }
        }
        if (wasReleased) {
            vm.close();
            detachNetwork(name);
            throw new MachineException(MachineException.Kind.UNAVAILABLE, "host " + hostId + " was released");
        }
        watchExit(machine);
        if (!instant) {
            watchReady(machine, image);
        }
        log.info("machine {} runs as QEMU pid {} ({}, {}, network {}{})", name, vm.pid(),
                instant ? "instant clone" : "cold boot", host.accelerator().accel(), describe(spec.network()),
                spec.gpu().map(g -> ", GPU slice " + g.sliceId()).orElse(""));
        return info;
    }

    @Override
    public void stop(String name) {
        Machine machine = beginStopping(name);
        if (machine != null) {
            machine.vm.close();
            if (reportExit(machine, MachineEvent.ExitReason.STOPPED, exitCode(machine.vm), "stopped")) {
                detachNetwork(name);
            }
        }
    }

    @Override
    public ShutdownOutcome shutdown(String name, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        Machine machine = beginStopping(name);
        if (machine == null) {
            return ShutdownOutcome.ALREADY_STOPPED;
        }
        ShutdownOutcome outcome = ShutdownOutcome.KILLED;
        try {
            outcome = switch (machine.vm.shutdown(timeout)) {
                case GRACEFUL -> ShutdownOutcome.GRACEFUL;
                case QUIT -> ShutdownOutcome.QUIT;
                case KILLED -> ShutdownOutcome.KILLED;
                case ALREADY_STOPPED -> ShutdownOutcome.ALREADY_STOPPED;
            };
            log.info("machine {}: shut down ({})", name, outcome);
            return outcome;
        } catch (VmmException e) {
            throw new MachineException(MachineException.Kind.FAILED, "machine " + name + ": " + e.getMessage(), e);
        } finally {
            machine.vm.close();
            if (reportExit(machine, MachineEvent.ExitReason.STOPPED, exitCode(machine.vm),
                    "shut down (" + outcome + ")")) {
                detachNetwork(name);
            }
        }
    }

    @Override
    public void reset(String name) {
        Machine machine = running(name)
                .orElseThrow(() -> new MachineException(MachineException.Kind.NOT_RUNNING,
                        "machine " + name + " does not run"));
        try {
            machine.vm.reset();
        } catch (VmmException e) {
            throw new MachineException(MachineException.Kind.FAILED, "machine " + name + ": reset: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<byte[]> screendump(String name) {
        Optional<Machine> machine = running(name);
        if (machine.isEmpty()) {
            return Optional.empty();
        }
        QemuVm vm = machine.get().vm;
        try {
            return Optional.of(vm.screendumpPng());
        } catch (RuntimeException e) {
            log.debug("machine {}: no screendump: {}", name, e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public <R extends GuestReply> R guest(String name, GuestRequest<R> request) {
        Objects.requireNonNull(request, "request");
        Machine machine = running(name).orElseThrow(() -> new MachineException(MachineException.Kind.NOT_RUNNING,
                "machine " + name + " does not run"));
        if (machine.guest == null) {
            throw new MachineException(MachineException.Kind.GUEST_UNAVAILABLE,
                    "machine " + name + " has no guest agent (its image runs none)");
        }
        GuestReply reply = machine.guest.run(request);
        @SuppressWarnings("unchecked") // each request type names its reply type; GuestOperations answers in kind
        R typed = (R) reply;
        return typed;
    }

    @Override
    public List<HostPreparation> preparations() {
        return host.images().progress().running().stream().map(p -> new HostPreparation(
                p.kind() == Progress.Kind.IMAGE_BUILD ? HostPreparation.Kind.IMAGE_BUILD : HostPreparation.Kind.TEMPLATE,
                p.subject(), p.step(), p.steps(), p.doing(), p.startedAt())).toList();
    }

    @Override
    public void discard(String name) {
        stop(name);
        Path runDir = host.runDir(name);
        try {
            Disks.delete(RunDir.of(runDir).overlay());
            DirectoryCache.deleteTree(runDir);
        } catch (RuntimeException e) {
            throw new MachineException(MachineException.Kind.FAILED,
                    "machine " + name + ": cannot remove " + runDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<MachineInfo> find(String name) {
        return running(name).map(m -> m.info);
    }

    @Override
    public List<MachineInfo> list() {
        synchronized (lock) {
            return machines.values().stream().filter(m -> m.vm.isRunning()).map(m -> m.info).toList();
        }
    }

    @Override
    public List<MachineInfo> adopt(Set<String> keep) {
        Objects.requireNonNull(keep, "keep");
        synchronized (lock) {
            released = false; // a stopped and restarted client (e.g. an application context) re-opens the host
        }
        List<MachineInfo> adopted = new ArrayList<>();
        for (AdoptableVm found : host.findRunning()) {
            String name = found.name();
            boolean known;
            synchronized (lock) {
                known = machines.containsKey(name);
            }
            if (known || !keep.contains(name) || !NAME.matcher(name).matches()) {
                log.warn("killing QEMU pid {} in {}: it belongs to no machine to keep", found.pid(), found.runDir());
                kill(found.pid());
                continue;
            }
            QemuVm vm;
            try {
                vm = host.adopt(found.runDir());
            } catch (RuntimeException e) {
                log.warn("machine {}: cannot adopt QEMU pid {} ({}); killing it", name, found.pid(), e.getMessage());
                kill(found.pid());
                continue;
            }
            MachineInfo info = new MachineInfo(name, hostId, vm.pid(), MachineInfo.BootKind.ADOPTED, console(vm),
                    clock.instant());
            Machine machine = new Machine(vm, info, Files.exists(vm.layout().qgaSocket()));
            synchronized (lock) {
                machines.put(name, machine);
                emit(new MachineEvent.Started(name, info.startedAt(), info));
            }
            watchExit(machine);
            adopted.add(info);
            log.info("machine {} re-adopted: QEMU pid {} kept running across the restart", name, vm.pid());
        }
        if (networks != null) {
            try {
                networks.adopt(adopted.stream().map(MachineInfo::name).collect(java.util.stream.Collectors.toSet()));
            } catch (RuntimeException e) {
                log.warn("desktop networks could not be re-adopted: {}", e.getMessage());
            }
        }
        return adopted;
    }

    @Override
    public void release() {
        List<Machine> all;
        synchronized (lock) {
            if (released) {
                return;
            }
            released = true;
            all = List.copyOf(machines.values());
            machines.clear();
            all.forEach(m -> m.exitReported.set(true)); // no exit events for released machines
        }
        boolean keep = host.properties().keepVmsOnExit();
        for (Machine m : all) {
            if (m.guest != null) {
                m.guest.close();
            }
            if (keep && m.vm.isRunning()) {
                log.info("machine {} keeps running (QEMU pid {}) after its host was released", m.info.name(),
                        m.vm.pid());
                m.vm.detach();
            } else {
                m.vm.close();
            }
        }
        if (networks != null && !keep) {
            try {
                networks.removeAll(); // Atrium stops without keeping VMs: no desktop network outlives it
            } catch (RuntimeException e) {
                log.warn("desktop networks could not all be removed: {}", e.getMessage());
            }
        }
        events.shutdown(); // what is queued is still delivered
    }

    @Override
    public HostNetworking networking() {
        return networks == null ? MachineHost.super.networking() : networks.describe();
    }

    @Override
    public void retainNetworks(Set<String> switchIds) {
        Objects.requireNonNull(switchIds, "switchIds");
        requireOpen();
        if (networks != null) {
            try {
                networks.retain(switchIds);
            } catch (VmmException e) {
                throw new MachineException(MachineException.Kind.FAILED, "removing lab switches: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public AutoCloseable subscribe(Consumer<MachineEvent> listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    // ------------------------------------------------------------------ internals

    /** Makes what the machine's network needs and records it as the switch's user; the QEMU backend. */
    private NetBackend attachNetwork(MachineSpec spec) {
        MachineSpec.NetworkAttachment attachment = spec.network();
        if (networks == null) {
            if (attachment.mode() != MachineSpec.NetworkMode.ISOLATED) {
                throw new MachineException(MachineException.Kind.INVALID_SPEC, "host " + hostId
                        + " does not manage desktop networks: only isolated machines (asked for "
                        + attachment.mode() + ")");
            }
            return new NetBackend.Restricted();
        }
        try {
            return networks.attach(spec.name(), attachment);
        } catch (NetworkUnavailableException e) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC, "machine " + spec.name() + ": "
                    + e.getMessage(), e);
        } catch (VmmException | IllegalArgumentException e) {
            throw new MachineException(MachineException.Kind.FAILED, "machine " + spec.name() + ": network: "
                    + e.getMessage(), e);
        }
    }

    /** The machine ended: it no longer holds its switch. Never under {@link #lock} (it may remove a switch). */
    private void detachNetwork(String name) {
        if (networks != null) {
            try {
                networks.detach(name);
            } catch (RuntimeException e) {
                log.warn("machine {}: detaching its network failed: {}", name, e.getMessage());
            }
        }
    }

    private static String describe(MachineSpec.NetworkAttachment n) {
        return switch (n.mode()) {
            case ISOLATED -> "isolated";
            case NAT -> "NAT";
            case LAB -> "lab switch " + n.switchId().orElse("?") + " (" + n.segment().map(s -> s.subnet()
                    + (s.nat() ? ", NAT" : "")).orElse("") + ")";
        };
    }

    private GuestImage image(MachineSpec.ImageRef ref) {
        if (ref.version().isPresent()) {
            Optional<LibraryStore.StoredVersion> stored = host.library().find(ref.version().get());
            if (stored.isPresent()) {
                LibraryStore.StoredVersion v = stored.get();
                if (!v.imageName().equals(ref.name()) || !v.isDisk()) {
                    throw new MachineException(MachineException.Kind.INVALID_SPEC, "library version "
                            + v.versionId() + " is " + (v.isDisk() ? "of image " + v.imageName() : "an ISO")
                            + ", not a disk of image " + ref.name());
                }
                return host.library().guestImage(v, false);
            }
        }
        if (!IMAGES.contains(ref.name())) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC,
                    "unknown guest image '" + ref.name() + "' (known: " + String.join(", ", IMAGES.stream().sorted().toList()) + ")");
        }
        GuestImage image;
        try {
            image = host.images().byName(ref.name());
        } catch (VmmException e) {
            throw new MachineException(MachineException.Kind.FAILED,
                    "guest image " + ref.name() + " is not available: " + e.getMessage(), e);
        }
        String recipe = GuestImages.recipeVersion(ref.name());
        if (ref.version().isPresent() && !ref.version().get().equals(recipe)
                && !ref.version().get().equals(image.hash())) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC, "guest image " + ref.name()
                    + " has no version " + ref.version().get() + " on host " + hostId + " (it has " + recipe + ")");
        }
        return image;
    }

    /** The install medium of a draft of an installation (attached read-only as a CD), if any. */
    private List<Path> media(MachineSpec.ImageRef ref) {
        return ref.version().flatMap(v -> host.library().find(v)).flatMap(LibraryStore.StoredVersion::medium)
                .stream().toList();
    }

    /** Marks the machine as being stopped on purpose, so that its exit is reported as STOPPED; null if none. */
    private Machine beginStopping(String name) {
        requireName(name);
        synchronized (lock) {
            Machine machine = machines.get(name);
            if (machine != null) {
                machine.stopping = true;
            }
            return machine;
        }
    }

    private Optional<Machine> running(String name) {
        requireName(name);
        synchronized (lock) {
            return Optional.ofNullable(machines.get(name)).filter(m -> m.vm.isRunning());
        }
    }

    /** Reports the end of a machine once: the first caller wins, later ones do nothing. */
    private boolean reportExit(Machine machine, MachineEvent.ExitReason reason, int exitCode, String detail) {
        synchronized (lock) {
            if (!machine.exitReported.compareAndSet(false, true)) {
                return false;
            }
            machines.remove(machine.info.name(), machine);
            if (machine.guest != null) {
                machine.guest.close();
            }
            emit(new MachineEvent.Exited(machine.info.name(), clock.instant(), reason, exitCode, detail));
            return true;
        }
    }

    private void watchExit(Machine machine) {
        machine.vm.onExit().whenComplete((code, error) -> {
            if (machine.stopping) {
                return; // stop, shutdown or discard reports it
            }
            int exitCode = code == null ? -1 : code;
            String detail = exitCode < 0 ? "QEMU pid " + machine.vm.pid() + " is gone"
                    : "QEMU pid " + machine.vm.pid() + " exited with code " + exitCode;
            if (reportExit(machine, MachineEvent.ExitReason.UNEXPECTED, exitCode, detail)) {
                log.warn("machine {} stopped unexpectedly: {}", machine.info.name(), detail);
                machine.vm.close();
                detachNetwork(machine.info.name());
            }
        });
    }

    /**
     * Watches a cold boot on a virtual thread, within the timeout: the image's ready marker on the serial log, or
     * for a disk-boot image with the guest agent the agent answering (a disk-boot image without one sends no Ready).
     */
    private void watchReady(Machine machine, GuestImage image) {
        if (image.readyMarker().isEmpty() && !image.guestAgent()) {
            return;
        }
        Thread.ofVirtual().name("atrium-ready-" + machine.info.name()).start(() -> {
            try {
                if (image.readyMarker().isEmpty()) {
                    awaitAgent(machine.vm, readyTimeout);
                } else {
                    machine.vm.awaitSerialOutput(image.readyMarker(), readyTimeout);
                }
            } catch (VmmException e) {
                if (machine.vm.isRunning() && !machine.stopping) {
                    log.warn("machine {}: no ready marker within {} s: {}", machine.info.name(),
                            readyTimeout.toSeconds(), firstLine(e.getMessage()));
                }
                return;
            }
            synchronized (lock) {
                if (!machine.exitReported.get() && machines.get(machine.info.name()) == machine) {
                    emit(new MachineEvent.Ready(machine.info.name(), clock.instant()));
                }
            }
        });
    }

    /** Waits until the guest's QEMU guest agent answers (or the VM stops, or the timeout passes). */
    private static void awaitAgent(QemuVm vm, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (vm.isRunning()) {
            try (QgaClient qga = QgaClient.connect(vm.layout().qgaSocket(), Duration.ofSeconds(5))) {
                qga.ping();
                return;
            } catch (VmmException e) {
                if (System.nanoTime() > deadline) {
                    throw new VmmException("the guest agent did not answer within " + timeout.toSeconds() + " s", e);
                }
            }
        }
        throw new VmmException("the VM stopped before its guest agent answered");
    }

    /** Queues the event for the listeners; called under {@link #lock}, so events are queued in the order they happened. */
    private void emit(MachineEvent event) {
        try {
            events.execute(() -> {
                for (Consumer<MachineEvent> listener : listeners) {
                    try {
                        listener.accept(event);
                    } catch (RuntimeException e) {
                        log.warn("machine event listener failed on {}: {}", event, e.toString());
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("host released; dropping {}", event);
        }
    }

    private ConsoleEndpoint console(QemuVm vm) {
        return ConsoleEndpoint.unix(hostId, vm.vncSocket().toAbsolutePath().toString());
    }

    private void requireOpen() {
        if (released) {
            throw new MachineException(MachineException.Kind.UNAVAILABLE, "host " + hostId + " was released");
        }
    }

    private static void requireName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC,
                    "not a machine name (a hostname label): " + name);
        }
    }

    private static int exitCode(QemuVm vm) {
        try {
            Integer code = vm.onExit().getNow(null);
            return code == null ? -1 : code;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(p -> {
            p.destroyForcibly();
            try {
                p.onExit().get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.warn("QEMU pid {} did not exit after SIGKILL: {}", pid, e.toString());
            }
        });
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
