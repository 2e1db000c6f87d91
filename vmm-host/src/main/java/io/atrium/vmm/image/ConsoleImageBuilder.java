package io.atrium.vmm.image;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.Progress;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.disk.DirectoryCache;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds the "console" demo guest from Debian packages only (see {@code vmm-host/README.md}):
 * Debian's cloud kernel ({@code linux-image-cloud-amd64}, fetched with {@code apt-get download}
 * and extracted with {@code dpkg-deb -x}, never installed on the host), the host's busybox-static
 * binary, and the templates in {@code resources/io/atrium/vmm/image/console/}.
 *
 * <p>Reproducible and cached: the image directory is {@code images/<sha256>} where the hash covers
 * the kernel .deb, the busybox binary, every template and the builder version. Builds go to a
 * temporary directory that is renamed atomically into place, under an exclusive file lock
 * ({@code images/.lock}), so concurrent builders (threads or processes) never see or produce a
 * partial image.
 */
final class ConsoleImageBuilder {

    private static final Logger log = LoggerFactory.getLogger(ConsoleImageBuilder.class);

    /** Bump when the build recipe (this class) changes in a way that changes the output. */
    static final String RECIPE_VERSION = "atrium-console-image/3";
    static final String KERNEL_PACKAGE = "linux-image-cloud-amd64";
    static final String BUSYBOX_PACKAGE = "busybox-static";
    static final String DEFAULT_APPEND = "console=ttyS0,115200 console=tty0 quiet loglevel=3";
    static final List<String> TEMPLATES =
            List.of("init", "inittab", "profile", "shutdown", "acpid.conf", "power-button", "agent", "net", "udhcpc",
                    "README");
    /** Drivers the guest needs: disk, NIC, ACPI power button and its input events. */
    static final List<String> DRIVERS = List.of("virtio_pci", "virtio_blk", "virtio_net", "button", "evdev");
    /** The data disk is ext2; ext4 can mount it too (CONFIG_EXT4_USE_FOR_EXT2). */
    static final List<String> FILESYSTEMS = List.of("ext2", "ext4");
    static final String DATA_DISK_SIZE = "32M";

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final FileTime EPOCH = FileTime.from(Instant.EPOCH);

    private final VmmProperties properties;
    private final Progress progress;

    ConsoleImageBuilder(VmmProperties properties, Progress progress) {
        this.properties = properties;
        this.progress = progress;
    }

    GuestImage buildOrReuse() {
        ImageTools.require("dpkg-deb");
        ImageTools.require("mke2fs");
        ImageTools.require("debugfs");
        ImageTools.require(properties.qemuImgBinary());
        Path deb = kernelDeb();
        Path busybox = busyboxBinary();
        Map<String, byte[]> templates = templates();
        String hash = contentHash(ImageTools.sha256(deb), ImageTools.sha256(busybox), templates);
        Path imagesDir = properties.imagesDir();
        Path dir = imagesDir.resolve(hash);
        if (Files.isRegularFile(dir.resolve("manifest.json"))) {
            log.debug("console image {} is cached", hash);
            return image(dir, hash);
        }
        DirectoryCache.ensure(imagesDir, hash, "manifest.json", "console guest image", tmp -> {
            log.info("building console guest image {} from {} and {}", hash, deb.getFileName(), busybox);
            try (Progress.Task task = progress.begin(Progress.Kind.IMAGE_BUILD, GuestImages.CONSOLE, 1,
                    "building the console image")) {
                build(tmp, hash, deb, busybox, templates);
            }
        });
        return image(dir, hash);
    }

    static GuestImage image(Path dir, String hash) {
        return new GuestImage(dir.resolve("vmlinuz"), dir.resolve("initrd.img"), dir.resolve("golden.qcow2"), hash,
                DEFAULT_APPEND);
    }

    static String contentHash(String kernelDebSha256, String busyboxSha256, Map<String, byte[]> templates) {
        MessageDigest digest = ImageTools.newDigest();
        update(digest, RECIPE_VERSION);
        update(digest, "kernel-deb " + kernelDebSha256);
        update(digest, "busybox " + busyboxSha256);
        update(digest, "append " + DEFAULT_APPEND);
        update(digest, "drivers " + DRIVERS + " " + FILESYSTEMS + " disk " + DATA_DISK_SIZE);
        for (Map.Entry<String, byte[]> template : templates.entrySet()) {
            update(digest, "template " + template.getKey() + " " + template.getValue().length);
            digest.update(template.getValue());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * The recipe's hash: what the image is made from by name (recipe version, kernel and busybox packages, kernel
     * command line, drivers, templates), without the downloaded kernel's bytes, so it is known without a build and
     * names the built-in version of this image in the library. The image directory itself is keyed by
     * {@link #contentHash} (which a new Debian kernel changes).
     */
    static String recipeHash(Map<String, byte[]> templates) {
        MessageDigest digest = ImageTools.newDigest();
        update(digest, RECIPE_VERSION);
        update(digest, "kernel-package " + KERNEL_PACKAGE);
        update(digest, "busybox-package " + BUSYBOX_PACKAGE);
        update(digest, "append " + DEFAULT_APPEND);
        update(digest, "drivers " + DRIVERS + " " + FILESYSTEMS + " disk " + DATA_DISK_SIZE);
        for (Map.Entry<String, byte[]> template : templates.entrySet()) {
            update(digest, "template " + template.getKey() + " " + template.getValue().length);
            digest.update(template.getValue());
        }
        return "c-" + HexFormat.of().formatHex(digest.digest());
    }

    private static void update(MessageDigest digest, String text) {
        digest.update((text + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, byte[]> templates() {
        Map<String, byte[]> templates = new LinkedHashMap<>();
        for (String name : TEMPLATES) {
            try (InputStream in = ConsoleImageBuilder.class.getResourceAsStream("console/" + name)) {
                if (in == null) {
                    throw new VmmException("image template console/" + name + " missing from the classpath");
                }
                templates.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new VmmException("cannot read image template " + name + ": " + e.getMessage(), e);
            }
        }
        return templates;
    }

    // ---- inputs -------------------------------------------------------------------------------

    /** The kernel .deb in {@code dataDir/downloads}, downloaded with apt-get if not there yet. */
    private Path kernelDeb() {
        Path downloads = properties.downloadsDir();
        Map<String, String> info;
        try {
            info = resolveKernelPackage(downloads);
        } catch (VmmException e) {
            Optional<Path> cached = newestCachedKernelDeb(downloads);
            if (cached.isPresent()) {
                log.warn("cannot resolve {} with apt ({}); using cached {}", KERNEL_PACKAGE, e.getMessage(),
                        cached.get());
                return cached.get();
            }
            throw new VmmException("cannot resolve the Debian kernel package " + KERNEL_PACKAGE
                    + " (is the apt package list present? run 'apt-get update'): " + e.getMessage(), e);
        }
        String fileName = Path.of(required(info, "Filename")).getFileName().toString();
        String sha256 = required(info, "SHA256");
        Path target = downloads.resolve(fileName);
        if (Files.isRegularFile(target) && ImageTools.sha256(target).equals(sha256)) {
            return target;
        }
        String pkg = required(info, "Package") + "=" + required(info, "Version");
        try {
            Files.createDirectories(downloads);
            Path tmp = Files.createTempDirectory(downloads, ".download-");
            try {
                log.info("downloading {} with apt-get download", pkg);
                ImageTools.run(List.of("apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg), tmp,
                        Map.of(), 600);
                Path fetched = tmp.resolve(fileName);
                if (!Files.isRegularFile(fetched)) {
                    throw new VmmException("apt-get download " + pkg + " did not produce " + fileName);
                }
                String actual = ImageTools.sha256(fetched);
                if (!actual.equals(sha256)) {
                    throw new VmmException("checksum mismatch for " + fileName + ": apt says " + sha256 + ", got " + actual);
                }
                Files.move(fetched, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                DirectoryCache.deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new VmmException("cannot download " + pkg + " into " + downloads + ": " + e.getMessage(), e);
        }
        return target;
    }

    /**
     * apt-cache's view of the kernel package (Package, Version, Filename, SHA256). apt-cache takes
     * about a second per call, so the answer is remembered in {@code downloads/} together with a
     * stamp of the apt package lists; it is asked again whenever the lists change.
     */
    private static Map<String, String> resolveKernelPackage(Path downloads) {
        String stamp = aptListsStamp();
        Path cache = downloads.resolve(KERNEL_PACKAGE + ".resolved");
        if (stamp != null && Files.isRegularFile(cache)) {
            try {
                Map<String, String> cached = new LinkedHashMap<>();
                for (String line : Files.readAllLines(cache, StandardCharsets.UTF_8)) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        cached.put(line.substring(0, colon), line.substring(colon + 1).strip());
                    }
                }
                if (stamp.equals(cached.get("Lists-Stamp"))) {
                    return cached;
                }
            } catch (IOException e) {
                log.debug("ignoring unreadable {}: {}", cache, e.toString());
            }
        }
        Map<String, String> info = aptShow(kernelImagePackage());
        if (stamp != null) {
            StringBuilder text = new StringBuilder("Lists-Stamp: " + stamp + "\n");
            for (String key : List.of("Package", "Version", "Filename", "SHA256")) {
                text.append(key).append(": ").append(required(info, key)).append('\n');
            }
            try {
                Files.createDirectories(downloads);
                Path tmp = Files.createTempFile(downloads, ".resolved-", ".tmp");
                Files.writeString(tmp, text);
                Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                log.debug("cannot remember apt resolution in {}: {}", cache, e.toString());
            }
        }
        return info;
    }

    /** Names, sizes and mtimes of the apt package lists, hashed; null if there are none. */
    private static String aptListsStamp() {
        Path lists = Path.of("/var/lib/apt/lists");
        if (!Files.isDirectory(lists)) {
            return null;
        }
        MessageDigest digest = ImageTools.newDigest();
        try (Stream<Path> files = Files.list(lists)) {
            List<Path> sorted = files.filter(Files::isRegularFile).sorted().toList();
            if (sorted.isEmpty()) {
                return null;
            }
            for (Path file : sorted) {
                update(digest, file.getFileName() + " " + Files.size(file) + " "
                        + Files.getLastModifiedTime(file).toMillis());
            }
        } catch (IOException e) {
            return null;
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The versioned kernel package the meta package depends on, e.g. linux-image-6.1.0-56-cloud-amd64. */
    private static String kernelImagePackage() {
        String depends = required(aptShow(KERNEL_PACKAGE), "Depends");
        for (String dep : depends.split(",")) {
            String name = dep.strip().split("[ (]")[0];
            if (name.startsWith("linux-image-")) {
                return name;
            }
        }
        throw new VmmException(KERNEL_PACKAGE + " depends on no linux-image package: " + depends);
    }

    private static Map<String, String> aptShow(String pkg) {
        String output = ImageTools.run(List.of("apt-cache", "show", "--no-all-versions", pkg), null, Map.of(), 60);
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith(" ")) {
                fields.putIfAbsent(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        if (!fields.containsKey("Package")) {
            throw new VmmException("apt-cache knows no package " + pkg);
        }
        return fields;
    }

    private static String required(Map<String, String> fields, String key) {
        String value = fields.get(key);
        if (value == null || value.isEmpty()) {
            throw new VmmException("apt-cache show gave no " + key + " for " + fields.get("Package"));
        }
        return value;
    }

    private static Optional<Path> newestCachedKernelDeb(Path downloads) {
        if (!Files.isDirectory(downloads)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(downloads)) {
            return files.filter(p -> p.getFileName().toString().matches("linux-image-.*-cloud-amd64_.*\\.deb"))
                    .max(Comparator.comparing(ConsoleImageBuilder::lastModified));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static FileTime lastModified(Path path) {
        try {
            return Files.getLastModifiedTime(path);
        } catch (IOException e) {
            return EPOCH;
        }
    }

    /** The busybox binary installed by the busybox-static package. */
    private static Path busyboxBinary() {
        String files;
        try {
            files = ImageTools.run(List.of("dpkg-query", "-L", BUSYBOX_PACKAGE), null, Map.of(), 30);
        } catch (VmmException e) {
            throw new VmmException("the guest image needs the Debian package " + BUSYBOX_PACKAGE
                    + " (apt-get install " + BUSYBOX_PACKAGE + "): " + e.getMessage(), e);
        }
        for (String line : files.split("\n")) {
            if (line.endsWith("/bin/busybox") && Files.isRegularFile(Path.of(line))) {
                return Path.of(line);
            }
        }
        throw new VmmException("package " + BUSYBOX_PACKAGE + " is listed but /bin/busybox is missing; reinstall it"
                + " (apt-get install --reinstall " + BUSYBOX_PACKAGE + ")");
    }

    // ---- build ----------------------------------------------------------------------------------

    private void build(Path tmp, String hash, Path deb, Path busybox, Map<String, byte[]> templates) throws IOException {
        Files.createDirectories(tmp);
        Path pkgRoot = tmp.resolve(".kernel-package");
        ImageTools.run(List.of("dpkg-deb", "-x", deb.toString(), pkgRoot.toString()), null, Map.of(), 300);

        Path vmlinuz;
        try (Stream<Path> boot = Files.list(pkgRoot.resolve("boot"))) {
            List<Path> kernels = boot.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).toList();
            if (kernels.size() != 1) {
                throw new VmmException(deb.getFileName() + " contains " + kernels.size() + " kernels in /boot, expected 1");
            }
            vmlinuz = kernels.getFirst();
        }
        String kernelVersion = vmlinuz.getFileName().toString().substring("vmlinuz-".length());
        Path modulesDir = Stream.of("lib/modules/", "usr/lib/modules/")
                .map(p -> pkgRoot.resolve(p + kernelVersion)).filter(Files::isDirectory).findFirst()
                .orElseThrow(() -> new VmmException(deb.getFileName() + " has no modules for " + kernelVersion));
        Files.copy(vmlinuz, tmp.resolve("vmlinuz"));

        KernelModules kernelModules = new KernelModules(modulesDir);
        List<String> drivers = new ArrayList<>(DRIVERS);
        drivers.add(FILESYSTEMS.stream().filter(kernelModules::isAvailable).findFirst()
                .orElseThrow(() -> new VmmException("kernel " + kernelVersion + " supports none of " + FILESYSTEMS)));
        List<KernelModules.Module> modules = kernelModules.resolve(drivers);

        List<String> applets = List.of(ImageTools.run(List.of(busybox.toString(), "--list-full"), null, Map.of(), 30)
                .split("\n"));
        writeInitramfs(tmp.resolve("initrd.img"), busybox, applets, modules, templates);
        writeDataDisk(tmp, hash, templates.get("README"));
        DirectoryCache.deleteTree(pkgRoot);

        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("image", "console");
        manifest.put("hash", hash);
        manifest.put("recipe", RECIPE_VERSION);
        manifest.put("kernelPackage", deb.getFileName().toString());
        manifest.put("kernelPackageSha256", ImageTools.sha256(deb));
        manifest.put("kernelVersion", kernelVersion);
        manifest.put("busybox", busybox.toString());
        manifest.put("busyboxSha256", ImageTools.sha256(busybox));
        manifest.put("defaultAppend", DEFAULT_APPEND);
        ArrayNode moduleList = manifest.putArray("modules");
        modules.forEach(m -> moduleList.add(m.name()));
        ObjectNode files = manifest.putObject("files");
        for (String file : List.of("vmlinuz", "initrd.img", "golden.qcow2")) {
            files.put(file, ImageTools.sha256(tmp.resolve(file)));
        }
        manifest.put("builtAt", Instant.now().toString());
        Files.writeString(tmp.resolve("manifest.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest) + "\n");
        Files.setPosixFilePermissions(tmp.resolve("golden.qcow2"), PosixFilePermissions.fromString("r--r--r--"));
    }

    private static void writeInitramfs(Path target, Path busybox, List<String> applets,
            List<KernelModules.Module> modules, Map<String, byte[]> templates) throws IOException {
        // path -> writer action; a sorted map puts every parent before its children
        TreeMap<String, CpioEntry> entries = new TreeMap<>();
        for (String dir : List.of("bin", "dev", "etc", "etc/acpi", "etc/acpi/PWRF", "etc/atrium", "lib",
                "lib/modules", "proc", "sys", "run", "data", "sbin", "usr", "usr/bin", "usr/sbin", "var",
                "var/log")) {
            entries.put(dir, w -> w.directory(dir, 0755));
        }
        entries.put("tmp", w -> w.directory("tmp", 01777));
        entries.put("root", w -> w.directory("root", 0700));
        entries.put("dev/console", w -> w.charDevice("dev/console", 0600, 5, 1));
        entries.put("var/run", w -> w.symlink("var/run", "/run"));
        byte[] busyboxBytes = Files.readAllBytes(busybox);
        entries.put("bin/busybox", w -> w.file("bin/busybox", 0755, busyboxBytes));
        for (String applet : applets) {
            String path = applet.strip();
            if (!path.isEmpty() && !path.equals("bin/busybox")) {
                entries.putIfAbsent(path, w -> w.symlink(path, "/bin/busybox"));
            }
        }
        entries.put("init", w -> w.file("init", 0755, templates.get("init")));
        entries.put("etc/inittab", w -> w.file("etc/inittab", 0644, templates.get("inittab")));
        entries.put("etc/profile", w -> w.file("etc/profile", 0644, templates.get("profile")));
        entries.put("etc/acpid.conf", w -> w.file("etc/acpid.conf", 0644, templates.get("acpid.conf")));
        entries.put("etc/acpi/PWRF/00000080",
                w -> w.file("etc/acpi/PWRF/00000080", 0755, templates.get("power-button")));
        entries.put("etc/atrium/agent", w -> w.file("etc/atrium/agent", 0755, templates.get("agent")));
        entries.put("etc/atrium/net", w -> w.file("etc/atrium/net", 0755, templates.get("net")));
        entries.put("etc/atrium/udhcpc", w -> w.file("etc/atrium/udhcpc", 0755, templates.get("udhcpc")));
        entries.put("etc/atrium/shutdown", w -> w.file("etc/atrium/shutdown", 0644, templates.get("shutdown")));
        entries.put("etc/passwd", w -> w.file("etc/passwd", 0644, utf8("root:x:0:0:root:/root:/bin/sh\n")));
        entries.put("etc/group", w -> w.file("etc/group", 0644, utf8("root:x:0:\n")));
        StringBuilder order = new StringBuilder();
        for (KernelModules.Module module : modules) {
            String path = "lib/modules/" + module.name() + ".ko";
            byte[] ko = Files.readAllBytes(module.file());
            entries.put(path, w -> w.file(path, 0644, ko));
            order.append(module.name()).append(".ko\n");
        }
        byte[] moduleOrder = utf8(order.toString());
        entries.put("etc/atrium/modules", w -> w.file("etc/atrium/modules", 0644, moduleOrder));

        try (OutputStream file = Files.newOutputStream(target);
                GZIPOutputStream gzip = new GZIPOutputStream(new BufferedOutputStream(file), 1 << 16);
                CpioWriter cpio = new CpioWriter(gzip)) {
            for (CpioEntry entry : entries.values()) {
                entry.write(cpio);
            }
        }
    }

    @FunctionalInterface
    private interface CpioEntry {
        void write(CpioWriter writer) throws IOException;
    }

    private void writeDataDisk(Path tmp, String hash, byte[] readme) throws IOException {
        Path content = tmp.resolve(".data");
        Files.createDirectories(content);
        Files.write(content.resolve("README"), readme);
        Path raw = tmp.resolve("golden.raw");
        String uuid = UUID.nameUUIDFromBytes(utf8("atrium-console-data/" + hash)).toString();
        Map<String, String> fakeTime = Map.of("E2FSPROGS_FAKE_TIME", "1");
        ImageTools.run(List.of("mke2fs", "-q", "-F", "-t", "ext2", "-L", "atrium-data", "-U", uuid,
                "-E", "hash_seed=" + uuid + ",root_owner=0:0", "-d", content.toString(), raw.toString(),
                DATA_DISK_SIZE), null, fakeTime, 120);
        // mke2fs -d copies the host files' atime/mtime/ctime; pin them for a reproducible image
        StringBuilder pin = new StringBuilder();
        for (String path : List.of("/", "/README")) {
            for (String field : List.of("atime", "mtime", "ctime")) {
                pin.append("set_inode_field ").append(path).append(' ').append(field).append(" 0\n");
            }
        }
        Path commands = tmp.resolve(".debugfs");
        Files.writeString(commands, pin.toString());
        ImageTools.run(List.of("debugfs", "-w", "-f", commands.toString(), raw.toString()), null, fakeTime, 60);
        Files.delete(commands);
        ImageTools.run(List.of(properties.qemuImgBinary(), "convert", "-q", "-f", "raw", "-O", "qcow2",
                raw.toString(), tmp.resolve("golden.qcow2").toString()), null, Map.of(), 120);
        Files.delete(raw);
        DirectoryCache.deleteTree(content);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
