package io.atrium.vmm.host;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.api.BootTestRequest;
import io.atrium.vmm.api.BootTestResult;
import io.atrium.vmm.api.BuiltinImage;
import io.atrium.vmm.api.CommitRequest;
import io.atrium.vmm.api.CommitResult;
import io.atrium.vmm.api.DraftRequest;
import io.atrium.vmm.api.HostVersion;
import io.atrium.vmm.api.ImageHost;
import io.atrium.vmm.api.ImportRequest;
import io.atrium.vmm.api.ImportResult;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.SealResult;
import io.atrium.vmm.api.UploadResult;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.library.BootTest;
import io.atrium.vmm.library.ImageRefusedException;
import io.atrium.vmm.library.LibraryStore;
import io.atrium.vmm.qemu.RunDir;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.qga.QgaExecResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image library's work on this machine, behind the {@link ImageHost} contract: files in {@link LibraryStore}
 * ({@code dataDir/library}), conversions and validation through {@code io.atrium.vmm.library.DiskValidator}, boot
 * tests ({@link BootTest}) and templates through the host's {@code InstantClones}. Draft machines are this host's
 * machines ({@link LocalMachineHost}, run directory {@code dataDir/run/<name>}); this class reaches their guest agent
 * and their disk there, never anything a request names but ids.
 */
public final class LocalImageHost implements ImageHost {
    private static final Logger log = LoggerFactory.getLogger(LocalImageHost.class);
    private static final Duration SEAL_TIMEOUT = Duration.ofMinutes(2);

    private final VmmHost host;
    private final String hostId;
    private final LibraryStore store;
    private final BootTest bootTest;
    private final String sealScript;

    public LocalImageHost(VmmHost host) {
        this.host = Objects.requireNonNull(host, "host");
        this.hostId = host.properties().hostId();
        this.store = host.library();
        this.bootTest = new BootTest(store, host.properties(), host.accelerator(), host.launcher(),
                host.instantClones());
        try (InputStream in = LibraryStore.class.getResourceAsStream("seal-linux.sh")) {
            this.sealScript = new String(Objects.requireNonNull(in, "seal-linux.sh").readAllBytes(),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new VmmException("cannot read the seal script: " + e.getMessage(), e);
        }
    }

    @Override
    public String hostId() {
        return hostId;
    }

    @Override
    public List<BuiltinImage> builtins() {
        return GuestImages.builtIns().stream().map(n -> new BuiltinImage(n, GuestImages.recipeVersion(n))).toList();
    }

    @Override
    public long maxUploadBytes() {
        return store.limits().maxUploadSize().toBytes();
    }

    @Override
    public UploadResult receive(String uploadId, long offset, InputStream body) {
        try {
            LibraryStore.Staged staged = store.receive(uploadId, offset, body);
            return new UploadResult.Received(uploadId, staged.bytes());
        } catch (ImageRefusedException e) {
            return new UploadResult.Refused(uploadId, e.rule(), e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC, e.getMessage(), e);
        } catch (VmmException e) {
            throw new MachineException(MachineException.Kind.FAILED, e.getMessage(), e);
        }
    }

    @Override
    public OptionalLong uploaded(String uploadId) {
        return invalidIsEmpty(() -> store.stagedBytes(uploadId), OptionalLong.empty());
    }

    @Override
    public void discardUpload(String uploadId) {
        call(() -> {
            store.discardStaging(uploadId);
            return null;
        });
    }

    @Override
    public ImportResult importUpload(ImportRequest r) {
        try {
            LibraryStore.Imported imported = store.importStaged(r.versionId(), r.imageName(), r.uploadId(),
                    r.format(), r.firmware(), r.memoryMb());
            return new ImportResult.Imported(r.versionId(), imported.version().format(),
                    imported.version().virtualSize(), imported.version().sha256(), imported.log());
        } catch (ImageRefusedException e) {
            log.info("upload {} for version {} refused: {}", r.uploadId(), r.versionId(), e.getMessage());
            return new ImportResult.Refused(r.versionId(), e.rule(), e.getMessage(), List.of(e.getMessage()));
        } catch (IllegalArgumentException e) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC, e.getMessage(), e);
        } catch (VmmException e) {
            throw new MachineException(MachineException.Kind.FAILED, e.getMessage(), e);
        }
    }

    @Override
    public void createDraft(DraftRequest r) {
        call(() -> store.createDraft(r.versionId(), r.imageName(), r.base(), r.medium(), r.diskBytes(), r.firmware(),
                r.memoryMb()));
    }

    @Override
    public SealResult sealGuest(String machineName) {
        RunDir run = RunDir.of(host.properties(), requireName(machineName));
        List<String> lines = new ArrayList<>();
        if (!Files.exists(run.qgaSocket())) {
            return new SealResult.NoAgent("machine " + machineName + " has no guest agent channel", lines);
        }
        try (QgaClient qga = QgaClient.connect(run.qgaSocket(), Duration.ofSeconds(20))) {
            QgaExecResult r = qga.exec(List.of("/bin/sh", "-c", sealScript), SEAL_TIMEOUT);
            r.stdoutText().lines().filter(l -> !l.isBlank()).limit(100).forEach(lines::add);
            if (!r.succeeded()) {
                lines.add("the seal script exited with " + r.exitCode() + ": " + cut(r.stderrText()));
                return new SealResult.Failed("the seal script failed in the guest (exit " + r.exitCode() + ")", lines);
            }
            return new SealResult.Sealed(lines);
        } catch (io.atrium.vmm.qga.QgaUnavailableException e) {
            return new SealResult.NoAgent("no QEMU guest agent answers in " + machineName, lines);
        } catch (VmmException e) {
            lines.add(e.getMessage());
            return new SealResult.Failed("sealing through the guest agent failed: " + e.getMessage(), lines);
        }
    }

    @Override
    public CommitResult commitDraft(CommitRequest r) {
        Optional<Path> overlay = r.machine().map(m -> RunDir.of(host.properties(), requireName(m)).overlay());
        Optional<Path> vars = r.machine().map(m -> RunDir.of(host.properties(), m).efiVars());
        try {
            LibraryStore.Imported committed = store.commit(r.versionId(), overlay, vars);
            return new CommitResult.Committed(r.versionId(), committed.version().virtualSize(), committed.log());
        } catch (ImageRefusedException e) {
            return new CommitResult.Refused(r.versionId(), e.rule(), e.getMessage(), List.of(e.getMessage()));
        } catch (IllegalArgumentException e) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC, e.getMessage(), e);
        } catch (VmmException e) {
            throw new MachineException(MachineException.Kind.FAILED, e.getMessage(), e);
        }
    }

    @Override
    public BootTestResult bootTest(BootTestRequest r) {
        return call(() -> bootTest.run(r));
    }

    @Override
    public Optional<HostVersion> version(String versionId) {
        return store.find(versionId).map(v -> new HostVersion(v.versionId(), v.imageName(),
                HostVersion.Kind.valueOf(v.kind().name()), v.firmware(), v.memoryMb(), v.virtualSize(), v.guestAgent(),
                v.bootTested()));
    }

    @Override
    public void deleteVersion(String versionId) {
        call(() -> {
            int templates = host.instantClones().deleteTemplatesOf(versionId);
            store.delete(versionId);
            log.info("version {}: files and {} template(s) removed", versionId, templates);
            return null;
        });
    }

    // ------------------------------------------------------------------ internals

    private interface Work<T> {
        T run();
    }

    private static <T> T call(Work<T> work) {
        try {
            return work.run();
        } catch (IllegalArgumentException e) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC, e.getMessage(), e);
        } catch (VmmException e) {
            throw new MachineException(MachineException.Kind.FAILED, e.getMessage(), e);
        }
    }

    private static <T> T invalidIsEmpty(Work<T> work, T empty) {
        try {
            return work.run();
        } catch (IllegalArgumentException e) {
            return empty;
        }
    }

    private static String requireName(String name) {
        if (name == null || !name.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC, "not a machine name: " + name);
        }
        return name;
    }

    private static String cut(String text) {
        String t = text == null ? "" : text.strip().replaceAll("\\p{Cntrl}", " ");
        return t.length() > 300 ? t.substring(0, 300) + "…" : t;
    }
}
