package io.atrium.broker;

import io.atrium.vmm.api.BootTestRequest;
import io.atrium.vmm.api.BootTestResult;
import io.atrium.vmm.api.BuiltinImage;
import io.atrium.vmm.api.CommitRequest;
import io.atrium.vmm.api.CommitResult;
import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.DraftRequest;
import io.atrium.vmm.api.Firmware;
import io.atrium.vmm.api.HostVersion;
import io.atrium.vmm.api.ImageHost;
import io.atrium.vmm.api.ImportRequest;
import io.atrium.vmm.api.ImportResult;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.SealResult;
import io.atrium.vmm.api.UploadResult;
import io.atrium.vmm.api.ValidationRule;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The images seam faked at the edge: uploads are counted (never kept), an upload whose first bytes are
 * {@code REFUSE:<RULE>} is refused naming that rule, seals and boot tests pass (or fail, or find no agent) as the
 * test says, and every call is recorded.
 */
public class FakeImageHost implements ImageHost {
    public static final String CONSOLE_VERSION = "c-fake-console";
    public static final String X_DESKTOP_VERSION = "x-fake-desktop";

    private final Map<String, Long> uploads = new ConcurrentHashMap<>();
    private final Map<String, String> firstBytes = new ConcurrentHashMap<>();
    private final Map<String, HostVersion> versions = new ConcurrentHashMap<>();
    public final AtomicLong quota = new AtomicLong(1L << 30);
    /** While set, every boot test fails. */
    public final AtomicBoolean failBootTests = new AtomicBoolean();
    /** Whether the guests have a QEMU guest agent (seal through it, instant clones). */
    public final AtomicBoolean guestAgent = new AtomicBoolean(true);
    /** Every seal, commit and boot test, in order ("seal draft-…", "commit v", "test v"). */
    public final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public String hostId() {
        return FakeMachineHost.HOST_ID;
    }

    @Override
    public List<BuiltinImage> builtins() {
        return List.of(new BuiltinImage("console", CONSOLE_VERSION), new BuiltinImage("x-desktop", X_DESKTOP_VERSION));
    }

    @Override
    public long maxUploadBytes() {
        return quota.get();
    }

    @Override
    public UploadResult receive(String uploadId, long offset, InputStream body) {
        long have = uploads.getOrDefault(uploadId, 0L);
        if (offset != have) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC, "the upload continues at byte " + have);
        }
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = body.read(buffer)) >= 0; ) {
                if (have == 0 && n > 0) {
                    firstBytes.put(uploadId, new String(buffer, 0, Math.min(n, 64), StandardCharsets.ISO_8859_1));
                }
                have += n;
                if (have > quota.get()) {
                    uploads.remove(uploadId);
                    return new UploadResult.Refused(uploadId, ValidationRule.QUOTA, "refused (QUOTA): the upload is "
                            + "larger than the quota");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        uploads.put(uploadId, have);
        return new UploadResult.Received(uploadId, have);
    }

    @Override
    public OptionalLong uploaded(String uploadId) {
        Long n = uploads.get(uploadId);
        return n == null ? OptionalLong.empty() : OptionalLong.of(n);
    }

    @Override
    public void discardUpload(String uploadId) {
        uploads.remove(uploadId);
    }

    @Override
    public ImportResult importUpload(ImportRequest r) {
        Long bytes = uploads.remove(r.uploadId());
        String head = firstBytes.getOrDefault(r.uploadId(), "");
        if (bytes == null) {
            throw new MachineException(MachineException.Kind.FAILED, "no staged file " + r.uploadId());
        }
        if (head.startsWith("REFUSE:")) {
            ValidationRule rule = ValidationRule.valueOf(head.substring(7).strip().split("\\s")[0]);
            String message = "refused (" + rule + "): " + rule.title() + ": crafted test file";
            return new ImportResult.Refused(r.versionId(), rule, message, List.of(message));
        }
        boolean medium = r.format() == DiskFormat.ISO;
        versions.put(r.versionId(), new HostVersion(r.versionId(), r.imageName(), medium ? HostVersion.Kind.MEDIUM
                : HostVersion.Kind.DRAFT, r.firmware(), r.memoryMb(), bytes, false, false));
        return new ImportResult.Imported(r.versionId(), medium ? DiskFormat.ISO : DiskFormat.QCOW2, bytes,
                "0".repeat(64), List.of("validated (fake)"));
    }

    @Override
    public void createDraft(DraftRequest r) {
        versions.put(r.versionId(), new HostVersion(r.versionId(), r.imageName(), HostVersion.Kind.DRAFT, r.firmware(),
                r.memoryMb(), Math.max(r.diskBytes(), 1), false, false));
    }

    @Override
    public SealResult sealGuest(String machineName) {
        calls.add("seal " + machineName);
        return guestAgent.get() ? new SealResult.Sealed(List.of("seal: machine-id emptied (fake)"))
                : new SealResult.NoAgent("no QEMU guest agent answers (fake)", List.of());
    }

    @Override
    public CommitResult commitDraft(CommitRequest r) {
        calls.add("commit " + r.versionId() + r.machine().map(m -> " from " + m).orElse(""));
        HostVersion v = versions.get(r.versionId());
        if (v == null || v.kind() != HostVersion.Kind.DRAFT) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC, "no draft " + r.versionId());
        }
        versions.put(r.versionId(), new HostVersion(v.versionId(), v.imageName(), HostVersion.Kind.DISK, v.firmware(),
                v.memoryMb(), v.virtualSize(), false, false));
        return new CommitResult.Committed(r.versionId(), v.virtualSize(), List.of("flattened (fake)"));
    }

    @Override
    public BootTestResult bootTest(BootTestRequest r) {
        calls.add("test " + r.versionId());
        HostVersion v = versions.get(r.versionId());
        if (v == null || v.kind() != HostVersion.Kind.DISK || failBootTests.get()) {
            return new BootTestResult.Failed(r.versionId(), "no real frame within " + r.timeout().toSeconds()
                    + " s (fake)", List.of());
        }
        versions.put(r.versionId(), new HostVersion(v.versionId(), v.imageName(), v.kind(), v.firmware(), v.memoryMb(),
                v.virtualSize(), guestAgent.get(), true));
        return new BootTestResult.Passed(r.versionId(), guestAgent.get(), 1234, "first real frame (fake)",
                List.of("booted (fake)"));
    }

    @Override
    public Optional<HostVersion> version(String versionId) {
        return Optional.ofNullable(versions.get(versionId));
    }

    @Override
    public void deleteVersion(String versionId) {
        calls.add("delete " + versionId);
        versions.remove(versionId);
    }

    /** Whether a version (or draft) is kept. */
    public boolean keeps(String versionId) {
        return versions.containsKey(versionId);
    }

    /** Firmware of a kept version, for assertions. */
    public Optional<Firmware> firmwareOf(String versionId) {
        return version(versionId).map(HostVersion::firmware);
    }
}
