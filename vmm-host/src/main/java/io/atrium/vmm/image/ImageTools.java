package io.atrium.vmm.image;

import io.atrium.vmm.VmmException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Host tools the image builder runs, with the Debian package that provides each. */
final class ImageTools {

    static final Map<String, String> PACKAGES = Map.of(
            "apt-get", "apt",
            "apt-cache", "apt",
            "dpkg-deb", "dpkg",
            "dpkg-query", "dpkg",
            "mke2fs", "e2fsprogs",
            "debugfs", "e2fsprogs",
            "qemu-img", "qemu-utils",
            "busybox", "busybox-static",
            "debootstrap", "debootstrap",
            "chroot", "coreutils");

    private ImageTools() {
    }

    /** Fails with the Debian package to install if {@code tool} is not on PATH. */
    static Path require(String tool) {
        if (tool.contains("/")) {
            if (Files.isExecutable(Path.of(tool))) {
                return Path.of(tool);
            }
        } else {
            String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
            for (String dir : (path + ":/usr/sbin:/sbin").split(File.pathSeparator)) {
                Path candidate = dir.isEmpty() ? null : Path.of(dir, tool);
                if (candidate != null && Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        String base = Path.of(tool).getFileName().toString();
        String pkg = PACKAGES.get(base);
        throw new VmmException("guest image build needs '" + tool + "', which was not found"
                + (pkg == null ? "" : ": install the Debian package " + pkg + " (apt-get install " + pkg + ")"));
    }

    /** Runs a command in {@code dir}, returns stdout+stderr, fails with the output on exit != 0. */
    static String run(List<String> command, Path dir, Map<String, String> env, long timeoutSeconds) {
        require(command.getFirst());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        pb.environment().put("LC_ALL", "C");
        pb.environment().putAll(env);
        try {
            Process process = pb.start();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new VmmException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
            }
            String output = new String(out, StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                throw new VmmException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): " + output);
            }
            return output;
        } catch (IOException e) {
            throw new VmmException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while running " + command.getFirst(), e);
        }
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
