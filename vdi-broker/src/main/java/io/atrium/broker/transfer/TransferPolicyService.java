package io.atrium.broker.transfer;

import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.pool.PoolRepository;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-pool transfer policies (clipboard and files). Administrators read and change them ({@code ROLE_ADMIN},
 * checked here); the broker's own code reads them with {@link #policyFor} (no check: tickets, file transfers).
 * A change is audited as {@code transfer-policy.update} with the old and new values.
 */
@Service
public class TransferPolicyService {
    private final TransferPolicyRepository policies;
    private final PoolRepository pools;
    private final AuditLog audit;
    private final Clock clock;

    TransferPolicyService(TransferPolicyRepository policies, PoolRepository pools, AuditLog audit, Clock clock) {
        this.policies = policies;
        this.pools = pools;
        this.audit = audit;
        this.clock = clock;
    }

    /** The pool's policy ({@link TransferPolicy#DEFAULT} when it has none of its own); NOT_FOUND for no pool. */
    @PreAuthorize("hasRole('ADMIN')")
    public TransferPolicy policy(String poolId) {
        requirePool(poolId);
        return policyFor(poolId);
    }

    /**
     * Replaces the pool's policy.
     *
     * @throws InvalidInputException naming each bad field ({@code clipboard}, {@code clipboardMaxBytes},
     *                               {@code files}, {@code fileMaxBytes}); NOT_FOUND if the pool does not exist
     */
    @PreAuthorize("hasRole('ADMIN')")
    @Transactional
    public TransferPolicy update(String poolId, TransferPolicyInput input) {
        requirePool(poolId);
        TransferPolicy next = validate(input);
        TransferPolicy before = policyFor(poolId);
        policies.save(poolId, next, clock.instant());
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("before", describe(before));
        detail.put("after", describe(next));
        audit.record("transfer-policy.update", "pool", poolId, detail);
        return next;
    }

    /** Internal (tickets, file transfers; no authorization check): the pool's policy or the default. */
    public TransferPolicy policyFor(String poolId) {
        return policies.find(poolId).orElse(TransferPolicy.DEFAULT);
    }

    /**
     * What an administrator sends; every field is required.
     *
     * @param clipboard         {@code BOTH}, {@code GUEST_TO_BROWSER}, {@code BROWSER_TO_GUEST} or {@code NONE}
     * @param clipboardMaxBytes 0..1048576
     * @param files             {@code BOTH}, {@code UPLOAD}, {@code DOWNLOAD} or {@code NONE}
     * @param fileMaxBytes      1..1073741824
     */
    public record TransferPolicyInput(String clipboard, Integer clipboardMaxBytes, String files, Long fileMaxBytes) {
        public static TransferPolicyInput of(TransferPolicy p) {
            return new TransferPolicyInput(p.clipboard().name(), p.clipboardMaxBytes(), p.files().name(),
                    p.fileMaxBytes());
        }
    }

    /**
     * Checks an administrator's input without saving it (a form checks every section before it saves anything).
     *
     * @throws InvalidInputException naming each bad field
     */
    public static TransferPolicy validate(TransferPolicyInput in) {
        if (in == null) {
            throw InvalidInputException.of("policy", "is required");
        }
        Map<String, String> errors = new LinkedHashMap<>();
        TransferPolicy.ClipboardMode clipboard = parse(TransferPolicy.ClipboardMode.class, in.clipboard());
        if (clipboard == null) {
            errors.put("clipboard", "must be BOTH, GUEST_TO_BROWSER, BROWSER_TO_GUEST or NONE");
        }
        if (in.clipboardMaxBytes() == null || in.clipboardMaxBytes() < 0
                || in.clipboardMaxBytes() > TransferPolicy.MAX_CLIPBOARD_BYTES) {
            errors.put("clipboardMaxBytes", "must be 0 to " + TransferPolicy.MAX_CLIPBOARD_BYTES
                    + " bytes (QEMU takes no more)");
        }
        TransferPolicy.FileMode files = parse(TransferPolicy.FileMode.class, in.files());
        if (files == null) {
            errors.put("files", "must be BOTH, UPLOAD, DOWNLOAD or NONE");
        }
        if (in.fileMaxBytes() == null || in.fileMaxBytes() < 1 || in.fileMaxBytes() > TransferPolicy.MAX_FILE_BYTES) {
            errors.put("fileMaxBytes", "must be 1 to " + TransferPolicy.MAX_FILE_BYTES + " bytes");
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        return new TransferPolicy(clipboard, in.clipboardMaxBytes(), files, in.fileMaxBytes());
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Enum.valueOf(type, value.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void requirePool(String poolId) {
        if (poolId == null || pools.findById(poolId).isEmpty()) {
            throw BrokerException.notFound("Pool " + poolId);
        }
    }

    private static Map<String, Object> describe(TransferPolicy p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clipboard", p.clipboard().name());
        m.put("clipboardMaxBytes", p.clipboardMaxBytes());
        m.put("files", p.files().name());
        m.put("fileMaxBytes", p.fileMaxBytes());
        return m;
    }
}
