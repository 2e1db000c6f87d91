package io.atrium.vmm.qemu;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.process.ProcessRunner;
import io.atrium.vmm.qmp.QmpClient;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts, adopts and reaps QEMU processes.
 *
 * <p>No orphaned QEMU processes, by three mechanisms:
 * <ol>
 *   <li>QEMU is spawned as {@code setpriv --pdeathsig KILL -- qemu-system-x86_64 ...} from one
 *       long-lived dedicated platform thread of this launcher. PR_SET_PDEATHSIG fires when the
 *       <em>thread</em> that forked the child dies, so spawning from short-lived threads would
 *       kill VMs at random; the dedicated thread lives until {@link #close()} or JVM death, when
 *       the kernel kills QEMU even if the JVM is SIGKILLed.</li>
 *   <li>A JVM shutdown hook kills the VMs still running.</li>
 *   <li>At construction, the pid file of every run directory ({@link RunDir}) is read and a live QEMU whose
 *       command line references that run directory, and whose parent is not another live JVM, is
 *       killed as an orphan ({@link #killOrphans()}).</li>
 * </ol>
 * With {@link VmmProperties#keepVmsOnExit()} all three are off: QEMU is started in its own
 * session ({@code setsid}) without parent-death signal, survives the JVM, and a later launcher
 * lists it with {@link #findRunning()} and re-attaches with {@link #adopt(Path)}.
 */
public final class QemuLauncher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QemuLauncher.class);

    private final VmmProperties properties;
    private final ExecutorService spawner;
    private final Map<Path, QemuVm> vms = new ConcurrentHashMap<>();
    private final Thread shutdownHook;
    private volatile boolean closed;

    public QemuLauncher(VmmProperties properties) {
        this.properties = Objects.requireNonNull(properties, "properties");
        this.spawner = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("atrium-qemu-spawner").daemon().factory());
        this.shutdownHook = Thread.ofPlatform().name("atrium-vmm-shutdown").unstarted(this::onJvmExit);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        if (!properties.keepVmsOnExit()) {
            killOrphans();
        }
    }

    public VmmProperties properties() {
        return properties;
    }

    /**
     * Spawns QEMU for {@code spec} and connects to its QMP socket.
     *
     * @throws VmmException if QEMU cannot be started, exits during start (the message carries the
     *     tail of qemu.log and serial.log), or does not open QMP within the start timeout
     */
    public QemuVm start(VmSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ensureOpen();
        Path qemu = ProcessRunner.requireTool(properties.qemuBinary());
        Path wrapper = ProcessRunner.requireTool(properties.keepVmsOnExit() ? "setsid" : "setpriv");
        Path runDir = spec.runDir();
        RunDir files = spec.layout();
        QemuVm existing = vms.get(runDir);
        if (existing != null && existing.isRunning()) {
            throw new VmmException("VM " + spec.name() + " is already running (pid " + existing.pid() + ")");
        }
        Optional<Long> stray = files.livePid();
        if (stray.isPresent()) {
            throw new VmmException("a QEMU process (pid " + stray.get() + ") already runs in " + runDir);
        }
        files.prepare();

        List<String> argv = new ArrayList<>();
        argv.add(wrapper.toString());
        if (!properties.keepVmsOnExit()) {
            argv.add("--pdeathsig");
            argv.add("KILL");
        }
        argv.add("--");
        if (spec.network().netns().isPresent()) {
            argv.addAll(QemuCommandLine.spawnPrefix(ProcessRunner.requireTool("ip", "desktop networks").toString(),
                    spec));
        }
        argv.addAll(QemuCommandLine.build(qemu.toString(), spec));
        try {
            Files.write(files.argsFile(), argv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new VmmException("cannot write " + files.argsFile() + ": " + e.getMessage(), e);
        }
        ProcessBuilder pb = new ProcessBuilder(argv)
                .directory(runDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(files.qemuLog().toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process process = spawn(pb, spec.name());
        log.info("VM {}: started QEMU pid {} ({}, {} vCPU, {} MiB) in {}", spec.name(), process.pid(),
                spec.accel().accel(), spec.vcpus(), spec.memoryMb(), runDir);
        log.debug("VM {}: {}", spec.name(), argv);

        QmpClient qmp;
        try {
            qmp = awaitQmp(spec, process);
        } catch (RuntimeException e) {
            process.destroyForcibly();
            waitQuietly(process);
            throw e;
        }
        QemuVm vm = new QemuVm(spec.name(), spec, runDir, process, process.toHandle(), qmp, this::release);
        register(vm);
        if (spec.vdagent() && !spec.incoming()) {
            // an incoming VM gets it once its state is restored (InstantClones)
            try {
                vm.plugVdagent();
            } catch (RuntimeException e) {
                vm.close();
                throw new VmmException("VM " + spec.name() + ": cannot add the vdagent port: " + e.getMessage(), e);
            }
        }
        return vm;
    }

    /**
     * Re-attaches to a QEMU that runs in {@code runDir} (see {@link #findRunning()}).
     *
     * @throws VmmException if no live QEMU for that run directory exists or QMP cannot be connected
     */
    public QemuVm adopt(Path runDir) {
        ensureOpen();
        RunDir files = RunDir.of(runDir);
        Path dir = files.dir();
        long pid = files.livePid().orElseThrow(() -> new VmmException("no running QEMU in " + dir));
        ProcessHandle handle = ProcessHandle.of(pid)
                .orElseThrow(() -> new VmmException("QEMU pid " + pid + " of " + dir + " is gone"));
        QmpClient qmp = QmpClient.connect(files.qmpSocket(), properties.qmpTimeout(), null);
        String name = files.vmName();
        QemuVm vm = new QemuVm(name, null, dir, null, handle, qmp, this::release);
        register(vm);
        log.info("VM {}: adopted QEMU pid {} in {}", name, pid, dir);
        return vm;
    }

    /**
     * QEMU processes running in {@code dataDir/run/*} that this launcher does not manage: pid file
     * present, process alive, its /proc cmdline is QEMU and references the run directory.
     */
    public List<AdoptableVm> findRunning() {
        List<AdoptableVm> found = new ArrayList<>();
        Path root = properties.runDir();
        if (!Files.isDirectory(root)) {
            return found;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                Path runDir = dir.toAbsolutePath().normalize();
                if (vms.containsKey(runDir)) {
                    continue;
                }
                RunDir.of(runDir).livePid().ifPresent(pid ->
                        found.add(new AdoptableVm(runDir.getFileName().toString(), runDir, pid)));
            }
        } catch (IOException e) {
            throw new VmmException("cannot scan " + root + ": " + e.getMessage(), e);
        }
        return found;
    }

    /**
     * Kills (SIGKILL) every QEMU from {@link #findRunning()} whose parent is not another live JVM.
     * Runs automatically at construction unless {@code keepVmsOnExit}. Logs each kill.
     *
     * @return the VMs killed
     */
    public List<AdoptableVm> killOrphans() {
        List<AdoptableVm> killed = new ArrayList<>();
        for (AdoptableVm vm : findRunning()) {
            Optional<ProcessHandle> process = ProcessHandle.of(vm.pid());
            if (process.isEmpty()) {
                continue;
            }
            Optional<ProcessHandle> parent = process.get().parent();
            if (parent.isPresent() && parent.get().pid() != 1 && parent.get().pid() != ProcessHandle.current().pid()
                    && isJvm(parent.get())) {
                log.warn("QEMU pid {} in {} belongs to live JVM pid {}; not killing it",
                        vm.pid(), vm.runDir(), parent.get().pid());
                continue;
            }
            log.warn("killing orphaned QEMU pid {} of VM {} (run dir {})", vm.pid(), vm.name(), vm.runDir());
            process.get().destroyForcibly();
            try {
                process.get().onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.error("orphaned QEMU pid {} did not exit after SIGKILL: {}", vm.pid(), e.toString());
            }
            killed.add(vm);
        }
        return killed;
    }

    /** VMs this launcher manages that have not been closed or detached. */
    public Collection<QemuVm> vms() {
        return List.copyOf(vms.values());
    }

    /**
     * Stops the launcher: kills all its VMs (or, with keepVmsOnExit, detaches them so they keep
     * running) and ends the spawner thread. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (QemuVm vm : vms()) {
            if (properties.keepVmsOnExit()) {
                vm.detach();
            } else {
                log.info("VM {}: killing QEMU pid {} (launcher closing)", vm.name(), vm.pid());
                vm.close();
            }
        }
        spawner.shutdown();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // JVM is already shutting down; the hook runs or ran
        }
    }

    private void onJvmExit() {
        if (properties.keepVmsOnExit()) {
            return;
        }
        for (QemuVm vm : vms()) {
            if (vm.isRunning()) {
                log.info("JVM exiting: killing QEMU pid {} of VM {}", vm.pid(), vm.name());
                vm.kill();
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new VmmException("QEMU launcher is closed");
        }
    }

    private void register(QemuVm vm) {
        vms.put(vm.runDir(), vm);
        vm.onExit().whenComplete((code, error) ->
                log.info("VM {}: QEMU pid {} exited{}", vm.name(), vm.pid(), code == null || code < 0 ? "" : " with code " + code));
    }

    private void release(QemuVm vm) {
        vms.remove(vm.runDir(), vm);
    }

    private Process spawn(ProcessBuilder pb, String name) {
        try {
            return spawner.submit(pb::start).get();
        } catch (ExecutionException e) {
            throw new VmmException("cannot start QEMU for VM " + name + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while starting VM " + name, e);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new VmmException("QEMU launcher is closed", e);
        }
    }

    private QmpClient awaitQmp(VmSpec spec, Process process) {
        long deadline = System.nanoTime() + properties.startTimeout().toNanos();
        VmmException last = null;
        while (true) {
            if (!process.isAlive()) {
                throw new VmmException("QEMU for VM " + spec.name() + " exited with code " + exitCode(process)
                        + " during start" + logTails(spec));
            }
            if (Files.exists(spec.qmpSocket())) {
                try {
                    return QmpClient.connect(spec.qmpSocket(), properties.qmpTimeout(), null);
                } catch (VmmException e) {
                    last = e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new VmmException("QEMU for VM " + spec.name() + " did not open its QMP socket within "
                        + properties.startTimeout().toMillis() + " ms"
                        + (last == null ? "" : " (" + last.getMessage() + ")") + logTails(spec));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmmException("interrupted while starting VM " + spec.name(), e);
            }
        }
    }

    private static String logTails(VmSpec spec) {
        return "\n--- qemu.log (tail) ---\n" + RunDir.tail(spec.qemuLog(), 20)
                + "\n--- serial.log (tail) ---\n" + RunDir.tail(spec.serialLog(), 20);
    }

    private static int exitCode(Process process) {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static void waitQuietly(Process process) {
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True if /proc/pid/cmdline is a qemu-system binary whose arguments reference runDir. */
    static boolean isQemuFor(long pid, Path runDir) {
        List<String> args = cmdline(pid);
        if (args.isEmpty() || !Path.of(args.getFirst()).getFileName().toString().startsWith("qemu-system")) {
            return false;
        }
        String prefix = runDir.toAbsolutePath().normalize() + "/";
        return args.stream().anyMatch(a -> a.contains(prefix));
    }

    static List<String> cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            if (raw.length == 0) {
                return List.of();
            }
            return Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    private static boolean isJvm(ProcessHandle process) {
        List<String> args = cmdline(process.pid());
        return !args.isEmpty() && Path.of(args.getFirst()).getFileName().toString().equals("java");
    }
}
