package io.atrium.broker.image;

import io.atrium.vmm.api.BootTestRequest;
import io.atrium.vmm.api.BootTestResult;
import io.atrium.vmm.api.CommitRequest;
import io.atrium.vmm.api.CommitResult;
import io.atrium.vmm.api.ImageHost;
import io.atrium.vmm.api.ImportRequest;
import io.atrium.vmm.api.ImportResult;
import io.atrium.vmm.api.MachineHost;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.api.SealResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The image library's long steps, one at a time on one thread ({@code image-jobs}), so that no UI or API call waits
 * for a host: validation and conversion of an upload, sealing a draft (through a draft machine and its guest agent)
 * and committing it, and the boot test. Each step takes a version from its state to the next one through
 * {@link ImageRepository#transition}, and writes what it did to the version's log.
 *
 * <p>A step in progress when Atrium stops is lost with the thread: at start-up versions left VALIDATING, SEALING or
 * TESTING are FAILED ("interrupted"); a FAILED committed version can be boot-tested again.
 */
@Component
class ImageJobs implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(ImageJobs.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ImageRepository images;
    private final ImageHost host;
    private final MachineHost machines;
    private final ImageLibraryProperties props;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile ExecutorService executor;

    ImageJobs(ImageRepository images, ImageHost host, MachineHost machines, ImageLibraryProperties props) {
        this.images = images;
        this.host = host;
        this.machines = machines;
        this.props = props;
    }

    @Override
    public synchronized void start() {
        for (ImageVersion v : images.findInStates(VersionState.WORKING)) {
            if (images.transition(v.id(), List.of(v.state()), VersionState.FAILED,
                    "Interrupted: Atrium stopped while the version was " + v.state())) {
                images.log(v.id(), VersionLogEntry.Level.ERROR, "interrupted: Atrium stopped during " + v.state());
            }
        }
        executor = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("image-jobs").daemon(true).factory());
    }

    @Override
    public synchronized void stop() {
        ExecutorService ex = executor;
        executor = null;
        if (ex != null) {
            ex.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return executor != null;
    }

    /** Before the provisioner: versions interrupted by the last stop are failed first. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 1024;
    }

    /** Whether no step is queued or running (for tests and benchmarks). */
    boolean idle() {
        return pending.get() == 0;
    }

    // ------------------------------------------------------------------ steps

    /** Validates and converts a VALIDATING version's upload on the host: a disk becomes a DRAFT, a medium READY. */
    void validate(String versionId) {
        submit(versionId, () -> {
            ImageVersion v = inState(versionId, VersionState.VALIDATING).orElse(null);
            if (v == null) {
                return;
            }
            info(v, "validating the upload as " + v.format().map(f -> f.id()).orElse("?") + " on host " + host.hostId());
            long start = System.nanoTime();
            ImportResult r = host.importUpload(new ImportRequest(v.uploadId().orElseThrow(), v.id(), v.imageName(),
                    v.format().orElseThrow(), v.firmware(), v.memoryMb()));
            r.log().forEach(line -> info(v, line));
            switch (r) {
                case ImportResult.Imported i -> {
                    images.setImported(v.id(), i.sha256(), i.virtualSize());
                    info(v, "validated and converted in " + (System.nanoTime() - start) / 1_000_000 + " ms");
                    if (v.kind() == ImageVersion.Kind.MEDIUM) {
                        images.transition(v.id(), List.of(VersionState.VALIDATING), VersionState.READY, null);
                        info(v, "install medium ready: it can be attached to a draft as a CD");
                    } else if (images.transition(v.id(), List.of(VersionState.VALIDATING), VersionState.DRAFT, null)
                            && v.autoSeal() && images.transition(v.id(), List.of(VersionState.DRAFT),
                            VersionState.SEALING, null)) {
                        seal(v.id(), true);
                    }
                }
                case ImportResult.Refused f -> fail(v, VersionState.VALIDATING, f.message());
            }
        });
    }

    /**
     * Seals a SEALING version and commits it: through its guest agent ({@code throughAgent}; an uploaded draft is
     * booted as a draft machine for it) or as it is; then the disk is flattened and validated again (SEALED), and
     * the boot test follows.
     */
    void seal(String versionId, boolean throughAgent) {
        submit(versionId, () -> {
            ImageVersion v = inState(versionId, VersionState.SEALING).orElse(null);
            if (v == null) {
                return;
            }
            Optional<String> machine = v.machine();
            if (throughAgent && machine.isEmpty()) {
                String name = draftMachineName();
                images.setMachine(v.id(), name);
                machine = Optional.of(name);
                info(v, "booting the draft as machine " + name + " to seal it through its guest agent");
                machines.start(draftSpec(v, name));
            }
            if (throughAgent) {
                SealResult sealed = sealThroughAgent(v, machine.get());
                sealed.log().forEach(line -> info(v, line));
                switch (sealed) {
                    case SealResult.Sealed s -> info(v, "sealed through the guest agent");
                    case SealResult.NoAgent n -> warn(v, "no QEMU guest agent answered within "
                            + props.draftAgentTimeout().toSeconds() + " s: nothing was removed in the guest (seal it "
                            + "yourself, e.g. sysprep for Windows); its machines can only be cold-booted");
                    case SealResult.Failed f -> {
                        stopQuietly(machine.get());
                        fail(v, VersionState.SEALING, f.message());
                        return;
                    }
                }
            } else {
                info(v, "committed as it is (the administrator marked it sealed)");
            }
            machine.ifPresent(this::stopQuietly);
            CommitResult c = host.commitDraft(new CommitRequest(v.id(), machine));
            c.log().forEach(line -> info(v, line));
            machine.ifPresent(m -> {
                try {
                    machines.discard(m);
                } catch (RuntimeException e) {
                    log.warn("draft machine {}: discard: {}", m, e.getMessage());
                }
                images.setMachine(v.id(), null);
            });
            switch (c) {
                case CommitResult.Committed done -> {
                    images.setVirtualSize(v.id(), done.virtualSize());
                    images.transition(v.id(), List.of(VersionState.SEALING), VersionState.SEALED, null);
                    info(v, "sealed: its content no longer changes");
                    if (images.transition(v.id(), List.of(VersionState.SEALED), VersionState.TESTING, null)) {
                        runBootTest(v.id());
                    }
                }
                case CommitResult.Refused f -> fail(v, VersionState.SEALING, f.message());
            }
        });
    }

    /** Boot-tests a TESTING version: READY when it passed (with or without a guest agent), FAILED otherwise. */
    void bootTest(String versionId) {
        submit(versionId, () -> runBootTest(versionId));
    }

    private void runBootTest(String versionId) {
        ImageVersion v = inState(versionId, VersionState.TESTING).orElse(null);
        if (v == null) {
            return;
        }
        info(v, "boot test: to a first real frame within " + props.bootTestTimeout().toSeconds() + " s");
        BootTestResult r = host.bootTest(new BootTestRequest(v.id(), 1, v.memoryMb(), props.bootTestTimeout()));
        r.log().forEach(line -> info(v, line));
        switch (r) {
            case BootTestResult.Passed p -> {
                images.setGuestAgent(v.id(), p.guestAgent());
                images.transition(v.id(), List.of(VersionState.TESTING), VersionState.READY, null);
                info(v, "ready" + (p.guestAgent() ? "" : " (no guest agent: its desktops are cold-booted)"));
            }
            case BootTestResult.Failed f -> fail(v, VersionState.TESTING, "Boot test failed: " + f.reason());
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Calls the seal step until the draft's guest agent answers (the machine is still booting) or time runs out. */
    private SealResult sealThroughAgent(ImageVersion v, String machine) {
        Instant deadline = Instant.now().plus(props.draftAgentTimeout());
        while (true) {
            SealResult r = host.sealGuest(machine);
            if (!(r instanceof SealResult.NoAgent) || Instant.now().isAfter(deadline)
                    || machines.find(machine).isEmpty()) {
                return r;
            }
            sleep(Duration.ofSeconds(2));
        }
    }

    /** A draft machine: the version's disk (kept: the machine's overlay is the draft), booted cold. */
    static MachineSpec draftSpec(ImageVersion v, String name) {
        return new MachineSpec(name, randomMac(), new MachineSpec.ImageRef(v.imageName(), Optional.of(v.id())), 1,
                Math.max(v.memoryMb(), 256), MachineSpec.DiskPolicy.KEEP, MachineSpec.BootMode.COLD_BOOT,
                MachineSpec.NetworkAttachment.ISOLATED, Optional.empty());
    }

    /** {@code draft-<8 hex>} with a letter in it, so it is never a pool's desktop name ({@code <pool>-<n>}). */
    static String draftMachineName() {
        while (true) {
            byte[] b = new byte[4];
            RANDOM.nextBytes(b);
            String hex = HexFormat.of().formatHex(b);
            if (hex.chars().anyMatch(Character::isLetter)) {
                return "draft-" + hex;
            }
        }
    }

    static String randomMac() {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return "52:54:00:" + HexFormat.ofDelimiter(":").formatHex(b);
    }

    private void submit(String versionId, Runnable step) {
        ExecutorService ex = executor;
        if (ex == null) {
            log.warn("image jobs are not running; version {} stays as it is", versionId);
            return;
        }
        pending.incrementAndGet();
        try {
            ex.execute(() -> {
                try {
                    step.run();
                } catch (RuntimeException e) {
                    log.warn("image job on version {} failed: {}", versionId, e.toString(), e);
                    images.findVersion(versionId).filter(v -> VersionState.WORKING.contains(v.state()))
                            .ifPresent(v -> fail(v, v.state(), "The host could not do it: " + e.getMessage()));
                } finally {
                    pending.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException stopping) {
            pending.decrementAndGet();
        }
    }

    private Optional<ImageVersion> inState(String versionId, VersionState state) {
        return images.findVersion(versionId).filter(v -> v.state() == state);
    }

    private void fail(ImageVersion v, VersionState from, String reason) {
        images.log(v.id(), VersionLogEntry.Level.ERROR, reason);
        images.transition(v.id(), List.of(from), VersionState.FAILED, reason);
        log.info("version {} failed: {}", v.label(), reason);
    }

    private void stopQuietly(String machine) {
        try {
            machines.stop(machine);
        } catch (RuntimeException e) {
            log.debug("draft machine {}: stop: {}", machine, e.getMessage());
        }
    }

    private void info(ImageVersion v, String line) {
        images.log(v.id(), VersionLogEntry.Level.INFO, line);
    }

    private void warn(ImageVersion v, String line) {
        images.log(v.id(), VersionLogEntry.Level.WARN, line);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
