package io.atrium.vmm.image;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.process.Command;
import io.atrium.vmm.process.ProcessRunner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Host tools the image builder runs (through {@link ProcessRunner}), and hashing. */
final class ImageTools {

    /** Named in the message when a tool is missing. */
    static final String PURPOSE = "guest image build";

    private ImageTools() {
    }

    /** Fails with the Debian package to install if {@code tool} is not on PATH. */
    static Path require(String tool) {
        return ProcessRunner.requireTool(tool, PURPOSE);
    }

    /**
     * Runs a command in {@code dir} (or the JVM's directory if {@code null}) with {@code LC_ALL=C}
     * plus {@code env}; returns stdout+stderr, stripped; fails with the output on exit != 0 and
     * kills it (and what it started) after {@code timeoutSeconds}.
     */
    static String run(List<String> command, Path dir, Map<String, String> env, long timeoutSeconds) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("LC_ALL", "C");
        environment.putAll(env);
        return ProcessRunner.run(Command.of(command).withDirectory(dir).withEnvironment(environment).mergingErrors()
                .withTimeout(Duration.ofSeconds(timeoutSeconds)).neededBy(PURPOSE)).stdout().strip();
    }

    static String sha256(Path file) {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new VmmException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
