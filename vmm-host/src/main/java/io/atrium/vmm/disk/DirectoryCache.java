package io.atrium.vmm.disk;

import io.atrium.vmm.VmmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Content-addressed directories built once: guest images ({@code images/<hash>}) and instant-clone
 * templates ({@code templates/<key>}).
 *
 * <p>Invariant: {@code parent/key} either does not exist or is complete. It is built in a
 * temporary sibling and renamed atomically, and it counts as complete only when its marker file
 * exists. Builders in this JVM (a lock per parent) and in other processes (a file lock on
 * {@code parent/.lock}) never build the same parent's entries at the same time.
 */
public final class DirectoryCache {
    private static final Logger log = LoggerFactory.getLogger(DirectoryCache.class);
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    /** Fills the (existing, empty) temporary directory with the entry's content. */
    @FunctionalInterface
    public interface Builder {
        void build(Path tmp) throws IOException;
    }

    private DirectoryCache() {
    }

    /**
     * Returns {@code parent/key}, building it with {@code builder} first unless it already holds
     * {@code marker}.
     *
     * @param what what is built, for log and error messages (e.g. "console guest image")
     * @throws VmmException when the build fails; nothing is left behind
     */
    public static Path ensure(Path parent, String key, String marker, String what, Builder builder) {
        Path dir = parent.resolve(key);
        if (Files.isRegularFile(dir.resolve(marker))) {
            return dir;
        }
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(parent.toAbsolutePath().normalize(), k -> new ReentrantLock());
        jvmLock.lock();
        try {
            Files.createDirectories(parent);
            try (FileChannel lockFile = FileChannel.open(parent.resolve(".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = lockFile.lock()) {
                if (Files.isRegularFile(dir.resolve(marker))) {
                    return dir;
                }
                deleteTree(dir);
                removeStaleTemporaries(parent);
                Path tmp = parent.resolve(".tmp-" + key + "-" + ProcessHandle.current().pid());
                Files.createDirectories(tmp);
                long start = System.nanoTime();
                try {
                    builder.build(tmp);
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (RuntimeException | IOException e) {
                    deleteTree(tmp);
                    throw e;
                }
                log.info("built {} {} in {} ms", what, dir, (System.nanoTime() - start) / 1_000_000);
            }
        } catch (IOException e) {
            throw new VmmException("cannot build " + what + " in " + dir + ": " + e.getMessage(), e);
        } finally {
            jvmLock.unlock();
        }
        return dir;
    }

    /** Under the parent's lock no build is running, so any temporary sibling is a crashed build's. */
    private static void removeStaleTemporaries(Path parent) throws IOException {
        try (Stream<Path> entries = Files.list(parent)) {
            for (Path entry : entries.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) {
                log.info("removing stale partial build {}", entry);
                deleteTree(entry);
            }
        }
    }

    /** Deletes a file or directory tree, if it exists, without following links. */
    public static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new VmmException("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }
}
