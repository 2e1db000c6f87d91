package io.atrium.vmm.library;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.disk.DirectoryCache;
import io.atrium.vmm.process.Command;
import io.atrium.vmm.process.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A cloud-init NoCloud seed for the cold boot of a library version: an ISO 9660 volume labelled {@code cidata}
 * (Debian's {@code genisoimage}) with {@code meta-data} ({@code instance-id}, {@code local-hostname}) and
 * {@code user-data} ({@code #cloud-config} with the hostname), attached read-only as a CD. cloud-init in the guest
 * (or any NoCloud reader) gives the machine its hostname on first boot. An instant clone needs none: it gets its
 * identity through the guest agent.
 */
public final class NoCloudSeed {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private NoCloudSeed() {
    }

    /**
     * Writes {@code target} for the machine {@code hostname}; its instance id is {@code atrium-<hostname>} (stable,
     * so a machine that keeps its disk is not configured as a new instance at every boot).
     */
    public static Path write(Path target, String hostname) {
        if (!NAME.matcher(hostname).matches()) {
            throw new IllegalArgumentException("not a hostname: " + hostname);
        }
        Path dir = target.resolveSibling(target.getFileName() + ".d");
        try {
            DirectoryCache.deleteTree(dir);
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("meta-data"), "instance-id: atrium-" + hostname + "\nlocal-hostname: "
                    + hostname + "\n");
            Files.writeString(dir.resolve("user-data"), "#cloud-config\nhostname: " + hostname
                    + "\npreserve_hostname: false\n");
            Files.deleteIfExists(target);
            ProcessRunner.run(Command.of("genisoimage", "-quiet", "-V", "cidata", "-J", "-r", "-o", target.toString(),
                    dir.toString()).mergingErrors().withTimeout(Duration.ofSeconds(60)).neededBy("cloud-init seeds"));
            return target;
        } catch (IOException e) {
            throw new VmmException("cannot write the cloud-init seed " + target + ": " + e.getMessage(), e);
        } finally {
            DirectoryCache.deleteTree(dir);
        }
    }
}
