package io.atrium.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * This broker as the owner of leases in the database: its node id.
 *
 * <p>Invariant: the id is stable across restarts of the same install, so that a restarted broker recognizes its
 * own leases and takes them back at once, while the leases of another owner are respected until they expire. It is
 * {@code atrium.broker.node-id} when set, otherwise the id in {@code <atrium.broker.data-dir>/broker-node-id}, made
 * once (random, {@code node-<12 hex>}) and never changed.
 */
public final class BrokerNode {
    /** File in the broker's data directory that keeps a generated node id. */
    public static final String FILE = "broker-node-id";
    private static final Pattern ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String id;

    public BrokerNode(String id) {
        if (!isNodeId(id)) {
            throw new IllegalArgumentException("not a node id (a short label): " + id);
        }
        this.id = id;
    }

    /** Whether {@code value} may be a node id: {@code [a-z0-9]} and inner {@code -}, at most 63 characters. */
    public static boolean isNodeId(String value) {
        return value != null && ID.matcher(value).matches();
    }

    /** The configured id, or the one kept in the data directory (made there on first use). */
    public static BrokerNode of(BrokerProperties properties) {
        if (!properties.nodeId().isEmpty()) {
            return new BrokerNode(properties.nodeId());
        }
        return new BrokerNode(persisted(properties.dataDir().resolve(FILE)));
    }

    private static String persisted(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.getParent());
                byte[] b = new byte[6];
                RANDOM.nextBytes(b);
                Path tmp = Files.createTempFile(file.getParent(), FILE, ".tmp");
                try {
                    Files.writeString(tmp, "node-" + HexFormat.of().formatHex(b) + "\n", StandardCharsets.US_ASCII);
                    Files.createLink(file, tmp); // atomic, and never replaces an id another process just made
                } catch (FileAlreadyExistsException raced) {
                    // another broker process of this install made it first: use theirs
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (!isNodeId(id)) {
                throw new IllegalStateException(file + " does not hold a node id (a short label); fix or delete it,"
                        + " or set atrium.broker.node-id");
            }
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the broker's node id in " + file, e);
        }
    }

    public String id() {
        return id;
    }

    @Override
    public String toString() {
        return "BrokerNode[" + id + "]";
    }
}
