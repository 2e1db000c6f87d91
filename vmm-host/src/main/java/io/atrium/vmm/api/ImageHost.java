package io.atrium.vmm.api;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The image library's work on one host, as the broker sees it: the <b>images seam</b>, next to {@link MachineHost}.
 * The broker owns the library's state (images, versions and their states, logs, pins, rollouts); a host keeps the
 * files (staged uploads, drafts, read-only golden disks, install media, templates) and does the work on them. Every
 * request and result is a value; the one exception is the upload body of {@link #receive}, a stream that a remote
 * transport sends as the body of a request (never buffered whole).
 *
 * <p>Outcomes an administrator must see (a refused upload, a failed boot test) are results, not exceptions; a
 * {@link MachineException} means the host could not do the work ({@code INVALID_SPEC}: unknown version or bad
 * request; {@code FAILED}: a tool or a VM failed; {@code UNAVAILABLE}). Ids are {@code [a-z0-9][a-z0-9-]{0,62}},
 * chosen by the broker (uploads, versions) and checked by the host before they become file names.
 *
 * <p>Versions are made like this: an upload is {@linkplain #receive received} into a staging file and
 * {@linkplain #importUpload imported} (validated, converted): a disk becomes a <i>draft</i>, an ISO an install
 * medium. A draft can also be {@linkplain #createDraft created} as a blank disk with a medium, or as a linked clone
 * of a version. A draft runs as a machine (through {@link MachineHost#start} with its version id); it is
 * {@linkplain #sealGuest sealed} through the guest agent and {@linkplain #commitDraft committed}: flattened,
 * validated again, kept read-only. A committed version is {@linkplain #bootTest boot-tested}.
 */
public interface ImageHost {

    /** This host's id (as in {@link MachineHost#hostId()}). */
    String hostId();

    /** The built-in images this host can build, with their current versions (recipe hashes). */
    List<BuiltinImage> builtins();

    /** The largest upload a staging file may grow to, in bytes. */
    long maxUploadBytes();

    /**
     * Appends {@code body} to the upload's staging file at {@code offset} (0 starts it, a resumed upload continues
     * where the file ends), through a fixed buffer. Beyond {@link #maxUploadBytes()} the stream is cut off, the
     * staging file removed and the upload refused ({@link ValidationRule#QUOTA}).
     *
     * @throws MachineException {@code INVALID_SPEC} for a bad id or an offset that is not where the file ends
     */
    UploadResult receive(String uploadId, long offset, InputStream body);

    /** How many bytes the upload's staging file holds, if it has one. */
    OptionalLong uploaded(String uploadId);

    /** Removes the upload's staging file, if any. */
    void discardUpload(String uploadId);

    /** Validates and converts the staged upload (a disk becomes a draft, an ISO a medium); the staging file is gone after. */
    ImportResult importUpload(ImportRequest request);

    /** Makes a draft: a blank disk with an install medium, or a linked clone of a version. */
    void createDraft(DraftRequest request);

    /**
     * Seals the guest of a running draft machine through its QEMU guest agent: machine-id, SSH host keys, cloud-init
     * state and DHCP leases are cleared, and the file system is synced and made read-only. The caller stops the
     * machine afterwards.
     */
    SealResult sealGuest(String machineName);

    /**
     * Turns a draft into a version: its disk (the stopped draft machine's, or the uploaded disk as it is) flattened
     * into a new qcow2, validated again and kept read-only; the draft's files go.
     */
    CommitResult commitDraft(CommitRequest request);

    /**
     * Boots the version under this host's accelerator to its first real frame (not a firmware or bootloader screen)
     * within the request's time limit and, when it has a guest agent, saves its instant-clone template.
     */
    BootTestResult bootTest(BootTestRequest request);

    /** What this host keeps of a version (or draft), if anything. */
    Optional<HostVersion> version(String versionId);

    /** Removes a version's (or draft's) files and instant-clone templates. Idempotent. */
    void deleteVersion(String versionId);
}
