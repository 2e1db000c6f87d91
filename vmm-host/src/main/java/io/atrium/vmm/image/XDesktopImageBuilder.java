package io.atrium.vmm.image;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.Progress;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.disk.DirectoryCache;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds the "x-desktop" guest: {@code debootstrap --variant=minbase} of Debian bookworm with Xorg
 * (modesetting), jwm, xterm and the QEMU guest agent plus the generic kernel, turned into an ext4 root disk
 * ({@code golden.qcow2}, mode 0444); the kernel and Debian's initramfs are copied out of the root
 * file system so QEMU boots them with {@code -kernel/-initrd} and {@code root=/dev/vda}.
 *
 * <p>Cached by recipe: the directory is {@code images/x-<sha256>} where the hash covers the suite,
 * the package list, the templates in {@code resources/io/atrium/vmm/image/x-desktop/} (plus the
 * console guest's agent) and the recipe version; debootstrap output is not byte-identical between
 * runs, but an image is never rebuilt while those inputs are unchanged. Downloaded packages are
 * kept in {@code dataDir/downloads/debootstrap}.
 */
final class XDesktopImageBuilder {

    private static final Logger log = LoggerFactory.getLogger(XDesktopImageBuilder.class);

    static final String RECIPE_VERSION = "atrium-x-desktop-image/3";
    static final String SUITE = "bookworm";
    static final String MIRROR = "http://deb.debian.org/debian";
    /**
     * The Debian packages. {@code qemu-guest-agent} is the QEMU guest agent (started by
     * {@code /sbin/atrium-init}); {@code util-linux-extra} holds {@code /sbin/hwclock}, which its
     * {@code guest-set-time} runs; {@code spice-vdagent} carries the clipboard (started by the X session);
     * {@code x11-xkb-utils} has {@code setxkbmap} (the user's keyboard layout, set through the guest agent);
     * {@code xclip} reads and sets the clipboard from a shell (tests use it through the agent); {@code xfe} is a
     * file manager with a text editor ({@code xfw}), next to {@code xterm}; {@code fonts-dejavu-core} gives them
     * scalable fonts; {@code dbus-x11} is named because debootstrap resolves no virtual packages, and GTK's dconf
     * needs a D-Bus session bus; {@code udhcpc} (busybox's DHCP client) is what
     * {@code /etc/atrium/net} starts.
     */
    static final List<String> PACKAGES = List.of("linux-image-amd64", "udev", "kmod", "iproute2", "xserver-xorg-core",
            "xserver-xorg-input-evdev", "xserver-xorg-input-libinput", "xinit", "x11-xserver-utils", "jwm", "xterm",
            "xfonts-base", "qemu-guest-agent", "util-linux-extra", "spice-vdagent", "x11-xkb-utils", "xclip", "xfe",
            "fonts-dejavu-core", "dbus-x11", "udhcpc");
    static final String DEFAULT_APPEND =
            "root=/dev/vda rw rootfstype=ext4 init=/sbin/atrium-init console=ttyS0,115200 console=tty0 quiet loglevel=3";
    static final int MEMORY_MB = 256;
    static final String TCG_OPTIONS = "tb-size=64";
    static final String READY_MARKER = "atrium-x: session ready on :0";
    static final String DISK_SIZE = "2G";
    /** template name -> path in the root file system and mode. */
    static final Map<String, String> TEMPLATES = new LinkedHashMap<>();
    static {
        TEMPLATES.put("x-desktop/atrium-init", "sbin/atrium-init 755");
        TEMPLATES.put("x-desktop/xsession", "etc/atrium/xsession 755");
        TEMPLATES.put("x-desktop/xorg.conf", "etc/X11/xorg.conf 644");
        TEMPLATES.put("x-desktop/jwmrc", "root/.jwmrc 644");
        TEMPLATES.put("x-desktop/clipboard-agent", "etc/atrium/clipboard-agent 755");
        TEMPLATES.put("x-desktop/display-changed", "etc/atrium/display-changed 755");
        TEMPLATES.put("x-desktop/90-atrium-display.rules", "etc/udev/rules.d/90-atrium-display.rules 644");
        TEMPLATES.put("console/agent", "etc/atrium/agent 755");
        TEMPLATES.put("console/net", "etc/atrium/net 755");
        TEMPLATES.put("console/udhcpc", "etc/atrium/udhcpc 755");
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** The steps of a build, as {@link Progress} reports them. */
    static final List<String> STEPS = List.of("downloading and installing Debian packages",
            "adding Atrium's guest files", "making the root file system", "converting the root disk",
            "writing the manifest");

    private final VmmProperties properties;
    private final Progress progress;

    XDesktopImageBuilder(VmmProperties properties, Progress progress) {
        this.properties = properties;
        this.progress = progress;
    }

    static GuestImage image(Path dir, String hash) {
        return new GuestImage(dir.resolve("vmlinuz"), dir.resolve("initrd.img"), dir.resolve("golden.qcow2"), hash,
                DEFAULT_APPEND, GuestImages.X_DESKTOP, MEMORY_MB, TCG_OPTIONS, READY_MARKER, true, true);
    }

    static String recipeHash(Map<String, byte[]> templates) {
        MessageDigest digest = ImageTools.newDigest();
        update(digest, RECIPE_VERSION + "\nsuite " + SUITE + "\npackages " + PACKAGES + "\nappend " + DEFAULT_APPEND
                + "\ndisk " + DISK_SIZE);
        for (Map.Entry<String, byte[]> template : templates.entrySet()) {
            update(digest, "template " + template.getKey() + " " + TEMPLATES.get(template.getKey()) + " "
                    + template.getValue().length);
            digest.update(template.getValue());
        }
        return "x-" + HexFormat.of().formatHex(digest.digest());
    }

    GuestImage buildOrReuse() {
        Map<String, byte[]> templates = templates();
        String hash = recipeHash(templates);
        Path imagesDir = properties.imagesDir();
        Path dir = imagesDir.resolve(hash);
        if (Files.isRegularFile(dir.resolve("manifest.json"))) {
            return image(dir, hash);
        }
        ImageTools.require("debootstrap");
        ImageTools.require("mke2fs");
        ImageTools.require(properties.qemuImgBinary());
        DirectoryCache.ensure(imagesDir, hash, "manifest.json", "x-desktop guest image", tmp -> {
            log.info("building x-desktop guest image {} with debootstrap (takes minutes)", hash);
            long started = System.nanoTime();
            try (Progress.Task task = progress.begin(Progress.Kind.IMAGE_BUILD, GuestImages.X_DESKTOP, STEPS.size(),
                    STEPS.getFirst())) {
                build(tmp, hash, templates, task);
            }
            log.info("x-desktop guest image {} built in {} s", hash, (System.nanoTime() - started) / 1_000_000_000);
        });
        return image(dir, hash);
    }

    private void build(Path tmp, String hash, Map<String, byte[]> templates, Progress.Task task) throws IOException {
        Path root = tmp.resolve(".root");
        Files.createDirectories(tmp);
        Path cache = properties.downloadsDir().resolve("debootstrap");
        Files.createDirectories(cache);
        String debootstrap = ImageTools.require("debootstrap").toString();
        ImageTools.run(List.of(debootstrap, "--variant=minbase", "--include=" + String.join(",", PACKAGES),
                "--cache-dir=" + cache, SUITE, root.toString(), MIRROR), null, Map.of(), 3600);

        task.step(2, STEPS.get(1));
        Path boot = root.resolve("boot");
        Path vmlinuz;
        Path initrd;
        try (Stream<Path> files = Files.list(boot)) {
            List<Path> list = files.toList();
            vmlinuz = list.stream().filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).findFirst()
                    .orElseThrow(() -> new VmmException("debootstrap installed no kernel in /boot"));
            initrd = list.stream().filter(p -> p.getFileName().toString().startsWith("initrd.img-")).findFirst()
                    .orElseThrow(() -> new VmmException("debootstrap produced no initramfs in /boot"));
        }
        Files.copy(vmlinuz, tmp.resolve("vmlinuz"));
        Files.copy(initrd, tmp.resolve("initrd.img"));
        Files.delete(vmlinuz);
        Files.delete(initrd);
        for (Map.Entry<String, byte[]> template : templates.entrySet()) {
            String[] target = TEMPLATES.get(template.getKey()).split(" ");
            Path file = root.resolve(target[0]);
            Files.createDirectories(file.getParent());
            Files.write(file, template.getValue());
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(
                    target[1].equals("755") ? "rwxr-xr-x" : "rw-r--r--"));
        }
        try (Stream<Path> debs = Files.list(root.resolve("var/cache/apt/archives"))) {
            for (Path deb : debs.filter(p -> p.toString().endsWith(".deb")).toList()) {
                Files.delete(deb);
            }
        }
        task.step(3, STEPS.get(2));
        Path raw = tmp.resolve("golden.raw");
        String uuid = UUID.nameUUIDFromBytes(("atrium-x-desktop/" + hash).getBytes(StandardCharsets.UTF_8)).toString();
        ImageTools.run(List.of("mke2fs", "-q", "-F", "-t", "ext4", "-L", "atrium-root", "-U", uuid,
                "-d", root.toString(), raw.toString(), DISK_SIZE), null, Map.of(), 1800);
        task.step(4, STEPS.get(3));
        ImageTools.run(List.of(properties.qemuImgBinary(), "convert", "-q", "-f", "raw", "-O", "qcow2",
                raw.toString(), tmp.resolve("golden.qcow2").toString()), null, Map.of(), 1800);
        Files.delete(raw);
        task.step(5, STEPS.get(4));
        String packages = ImageTools.run(List.of("chroot", root.toString(), "dpkg-query", "-W",
                "-f=${Package}=${Version}\\n"), null, Map.of(), 120);
        DirectoryCache.deleteTree(root);

        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("image", GuestImages.X_DESKTOP);
        manifest.put("hash", hash);
        manifest.put("recipe", RECIPE_VERSION);
        manifest.put("suite", SUITE);
        manifest.put("kernel", vmlinuz.getFileName().toString());
        manifest.put("defaultAppend", DEFAULT_APPEND);
        manifest.putPOJO("requested", PACKAGES);
        manifest.putPOJO("installed", new ArrayList<>(List.of(packages.strip().split("\n"))));
        ObjectNode files = manifest.putObject("files");
        for (String file : List.of("vmlinuz", "initrd.img", "golden.qcow2")) {
            files.put(file, ImageTools.sha256(tmp.resolve(file)));
        }
        manifest.put("builtAt", Instant.now().toString());
        Files.writeString(tmp.resolve("manifest.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest) + "\n");
        Files.setPosixFilePermissions(tmp.resolve("golden.qcow2"), PosixFilePermissions.fromString("r--r--r--"));
    }

    static Map<String, byte[]> templates() {
        Map<String, byte[]> templates = new LinkedHashMap<>();
        for (String name : TEMPLATES.keySet()) {
            try (InputStream in = XDesktopImageBuilder.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new VmmException("image template " + name + " missing from the classpath");
                }
                templates.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new VmmException("cannot read image template " + name + ": " + e.getMessage(), e);
            }
        }
        return templates;
    }

    private static void update(MessageDigest digest, String text) {
        digest.update((text + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
