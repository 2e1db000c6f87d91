package io.atrium.broker.transfer;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.vmm.api.GuestReply;
import io.atrium.vmm.api.GuestRequest;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.MachineHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.Normalizer;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Files into and out of the user's own desktop, through the machine's guest agent, into a folder of the user in
 * the guest ({@value #ROOT}{@code /<user>}). The service is the security boundary: the desktop must be assigned to
 * the caller, the pool's {@link TransferPolicy} must allow the direction, and no file may exceed its cap (counted
 * while the bytes stream, whatever size the browser announced). File names from the browser are checked (one path
 * element, no control characters, at most 255 bytes); names from the guest are checked by the host.
 *
 * <p>An upload is written to a hidden temporary file and renamed once complete, so a broken or refused upload never
 * leaves a partial file under the real name. Every upload and download is audited ({@code file.upload},
 * {@code file.download}: desktop, size, SHA-256 of the bytes, outcome; never the name or content).
 */
@Service
public class FileTransferService {
    private static final Logger log = LoggerFactory.getLogger(FileTransferService.class);
    /** The guest folder holding one folder per user. */
    public static final String ROOT = "/root/Transfer";
    static final String PARTIAL_PREFIX = ".atrium-upload-";
    static final int CHUNK = 256 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DesktopService desktops;
    private final TransferPolicyService policies;
    private final MachineHost machines;
    private final AuditLog audit;

    FileTransferService(DesktopService desktops, TransferPolicyService policies, MachineHost machines, AuditLog audit) {
        this.desktops = desktops;
        this.policies = policies;
        this.machines = machines;
        this.audit = audit;
    }

    /** A file in the user's folder in the desktop. */
    public record FileInfo(String name, long size, Instant modified) {
    }

    /** What the user may do with files on this desktop. */
    public record Limits(boolean upload, boolean download, long maxBytes, String folder) {
    }

    @PreAuthorize("isAuthenticated()")
    public Limits limits(String desktopId) {
        Desktop d = mine(desktopId);
        TransferPolicy p = policies.policyFor(d.poolId());
        return new Limits(p.files().upload(), p.files().download(), p.fileMaxBytes(), folder(CurrentUser.get().name()));
    }

    /** The files in the user's folder (without unfinished uploads); empty when the folder does not exist yet. */
    @PreAuthorize("isAuthenticated()")
    public List<FileInfo> list(String desktopId) {
        Desktop d = mine(desktopId);
        TransferPolicy p = policies.policyFor(d.poolId());
        if (p.files() == TransferPolicy.FileMode.NONE) {
            throw new BrokerException(BrokerStatus.FORBIDDEN, "Files cannot be moved in or out of this desktop.");
        }
        GuestReply.Files files = guest(d, new GuestRequest.ListFiles(folder(CurrentUser.get().name()), 1000));
        return files.files().stream().filter(f -> !f.name().startsWith(PARTIAL_PREFIX))
                .map(f -> new FileInfo(f.name(), f.size(), f.modified())).toList();
    }

    /**
     * Writes {@code content} into the user's folder as {@code fileName} (replacing a file of that name), reading it
     * in chunks straight into the guest.
     *
     * @param progress called with the bytes written so far, after each chunk
     * @return the bytes written
     * @throws InvalidInputException {@code name} for a bad file name, {@code size} when it exceeds the pool's cap
     * @throws BrokerException FORBIDDEN when the pool does not allow uploads, DESKTOP_UNAVAILABLE when the desktop
     *                         cannot take files (not running, no guest agent)
     */
    @PreAuthorize("isAuthenticated()")
    public long upload(String desktopId, String fileName, InputStream content, LongConsumer progress) {
        Desktop d = mine(desktopId);
        String user = CurrentUser.get().name();
        TransferPolicy p = policies.policyFor(d.poolId());
        String name = checkedName(fileName);
        if (!p.files().upload()) {
            audited("file.upload", d, AuditEvent.Outcome.DENIED, -1, null, "policy");
            throw new BrokerException(BrokerStatus.FORBIDDEN, "Files cannot be uploaded into this desktop.");
        }
        String folder = folder(user);
        String partial = folder + "/" + PARTIAL_PREFIX + HexFormat.of().formatHex(random(8));
        guest(d, new GuestRequest.MakeDirectory(folder));
        MessageDigest sha = sha256();
        long total = 0;
        boolean done = false;
        String handle = guest(d, new GuestRequest.OpenFile(partial, GuestRequest.Mode.WRITE)).handle();
        try {
            byte[] buffer = new byte[CHUNK];
            while (true) {
                int n = content.readNBytes(buffer, 0, buffer.length);
                if (n == 0) {
                    break;
                }
                if (total + n > p.fileMaxBytes()) {
                    audited("file.upload", d, AuditEvent.Outcome.DENIED, total + n, null, "over the cap");
                    throw InvalidInputException.of("size", "is larger than this desktop allows ("
                            + p.fileMaxBytes() + " bytes)");
                }
                byte[] chunk = n == buffer.length ? buffer.clone() : java.util.Arrays.copyOf(buffer, n);
                guest(d, new GuestRequest.WriteFile(handle, chunk));
                sha.update(chunk);
                total += n;
                if (progress != null) {
                    progress.accept(total);
                }
            }
            guest(d, new GuestRequest.CloseFile(handle));
            handle = null;
            guest(d, new GuestRequest.RenameFile(partial, folder + "/" + name));
            done = true;
        } catch (IOException e) {
            audited("file.upload", d, AuditEvent.Outcome.FAILURE, total, null, "the upload broke off");
            throw new BrokerException(BrokerStatus.INVALID_INPUT, "The upload broke off.", e);
        } catch (InvalidInputException e) {
            throw e; // audited where it was raised
        } catch (RuntimeException e) {
            audited("file.upload", d, AuditEvent.Outcome.FAILURE, total, null, "the desktop failed");
            throw e;
        } finally {
            if (handle != null) {
                quietly(d, new GuestRequest.CloseFile(handle));
            }
            if (!done) {
                quietly(d, new GuestRequest.DeleteFile(partial));
            }
        }
        audited("file.upload", d, AuditEvent.Outcome.SUCCESS, total, HexFormat.of().formatHex(sha.digest()), null);
        log.info("desktop {}: {} uploaded a file of {} bytes", d.name(), user, total);
        return total;
    }

    /**
     * Streams the file {@code fileName} of the user's folder into {@code target}.
     *
     * @param progress called with the bytes read so far, after each chunk
     * @return the bytes sent
     * @throws BrokerException NOT_FOUND when there is no such file, FORBIDDEN when the pool does not allow downloads,
     *                         INVALID_INPUT when it exceeds the pool's cap
     */
    @PreAuthorize("isAuthenticated()")
    public long download(String desktopId, String fileName, OutputStream target, LongConsumer progress) {
        Desktop d = mine(desktopId);
        String user = CurrentUser.get().name();
        TransferPolicy p = policies.policyFor(d.poolId());
        String name = checkedName(fileName);
        if (!p.files().download()) {
            audited("file.download", d, AuditEvent.Outcome.DENIED, -1, null, "policy");
            throw new BrokerException(BrokerStatus.FORBIDDEN, "Files cannot be downloaded from this desktop.");
        }
        String folder = folder(user);
        FileInfo file = list(desktopId).stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> BrokerException.notFound("File " + name));
        if (file.size() > p.fileMaxBytes()) {
            audited("file.download", d, AuditEvent.Outcome.DENIED, file.size(), null, "over the cap");
            throw InvalidInputException.of("size", "is larger than this desktop allows (" + p.fileMaxBytes()
                    + " bytes)");
        }
        MessageDigest sha = sha256();
        long total = 0;
        String handle = guest(d, new GuestRequest.OpenFile(folder + "/" + name, GuestRequest.Mode.READ)).handle();
        try {
            while (true) {
                GuestReply.Chunk chunk = guest(d, new GuestRequest.ReadFile(handle, CHUNK));
                if (total + chunk.data().length > p.fileMaxBytes()) {
                    audited("file.download", d, AuditEvent.Outcome.DENIED, total + chunk.data().length, null,
                            "over the cap");
                    throw InvalidInputException.of("size", "is larger than this desktop allows ("
                            + p.fileMaxBytes() + " bytes)");
                }
                target.write(chunk.data());
                sha.update(chunk.data());
                total += chunk.data().length;
                if (chunk.data().length > 0 && progress != null) {
                    progress.accept(total);
                }
                if (chunk.eof()) {
                    break;
                }
            }
        } catch (IOException e) {
            audited("file.download", d, AuditEvent.Outcome.FAILURE, total, null, "the browser went away");
            throw new BrokerException(BrokerStatus.INVALID_INPUT, "The download broke off.", e);
        } catch (InvalidInputException e) {
            throw e; // audited where it was raised
        } catch (RuntimeException e) {
            audited("file.download", d, AuditEvent.Outcome.FAILURE, total, null, "the desktop failed");
            throw e;
        } finally {
            quietly(d, new GuestRequest.CloseFile(handle));
        }
        audited("file.download", d, AuditEvent.Outcome.SUCCESS, total, HexFormat.of().formatHex(sha.digest()), null);
        log.info("desktop {}: {} downloaded a file of {} bytes", d.name(), user, total);
        return total;
    }

    // ------------------------------------------------------------------ helpers

    /** The user's folder in the guest: {@value #ROOT}/&lt;user&gt;, the name reduced to letters, digits, '.', '_', '-'. */
    static String folder(String user) {
        StringBuilder b = new StringBuilder();
        for (char c : user.toCharArray()) {
            b.append(Character.isLetterOrDigit(c) && c < 128 || c == '.' || c == '_' || c == '-' ? c : '_');
        }
        String safe = b.length() > 64 ? b.substring(0, 64) : b.toString();
        if (safe.isEmpty() || safe.startsWith(".")) {
            safe = "_" + safe;
        }
        return ROOT + "/" + safe;
    }

    /**
     * A file name as the browser sent it, reduced to its last path element (browsers may send a path), in NFC;
     * refused when empty, {@code .} or {@code ..}, over 255 bytes of UTF-8, starting with our temporary prefix, or
     * holding a control character.
     */
    static String checkedName(String fileName) {
        if (fileName == null) {
            throw InvalidInputException.of("name", "is required");
        }
        String name = fileName.substring(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
        name = Normalizer.normalize(name, Normalizer.Form.NFC).strip();
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.startsWith(PARTIAL_PREFIX)
                || name.getBytes(StandardCharsets.UTF_8).length > 255
                || name.codePoints().anyMatch(c -> Character.getType(c) == Character.CONTROL
                || Character.getType(c) == Character.FORMAT && c != 0x200D || c == 0xFFFD)) {
            throw InvalidInputException.of("name", "must be a file name of at most 255 bytes without control "
                    + "characters");
        }
        return name;
    }

    private Desktop mine(String desktopId) {
        Desktop d = desktops.myDesktop(desktopId);
        if (!d.state().isAssigned()) {
            throw new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE, "Desktop " + d.name() + " is not in use.");
        }
        return d;
    }

    private <R extends GuestReply> R guest(Desktop d, GuestRequest<R> request) {
        try {
            return machines.guest(d.name(), request);
        } catch (MachineException e) {
            throw switch (e.kind()) {
                case NOT_RUNNING -> new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE,
                        "Desktop " + d.name() + " is not running.", e);
                case GUEST_UNAVAILABLE -> new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE,
                        "Desktop " + d.name() + " cannot exchange files: it runs no guest agent.", e);
                default -> new BrokerException(BrokerStatus.INTERNAL,
                        "The desktop could not do that: " + e.getMessage(), e);
            };
        }
    }

    private void quietly(Desktop d, GuestRequest<?> request) {
        try {
            machines.guest(d.name(), request);
        } catch (RuntimeException e) {
            log.debug("desktop {}: cleaning up after a transfer failed: {}", d.name(), e.toString());
        }
    }

    private void audited(String action, Desktop d, AuditEvent.Outcome outcome, long bytes, String sha256, String why) {
        Map<String, Object> detail = new LinkedHashMap<>();
        if (bytes >= 0) {
            detail.put("bytes", bytes);
        }
        if (sha256 != null) {
            detail.put("sha256", sha256);
        }
        if (why != null) {
            detail.put("reason", why);
        }
        audit.record(action, outcome, "desktop", d.id(), detail);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
