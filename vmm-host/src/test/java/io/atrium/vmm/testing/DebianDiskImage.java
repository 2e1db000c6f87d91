package io.atrium.vmm.testing;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.disk.DirectoryCache;
import io.atrium.vmm.process.Command;
import io.atrium.vmm.process.ProcessRunner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A real disk-bootable Debian image for the image library's tests, built from Debian packages without loop mounts:
 *
 * <ol>
 *   <li><b>root</b> (once, cached by recipe hash in {@code images/debian-disk-root-<hash>}): {@code debootstrap
 *       --variant=minbase} of bookworm with the generic kernel, udev, iproute2, busybox (its DHCP client),
 *       {@code qemu-guest-agent} and {@code util-linux-extra} ({@code hwclock}, for {@code guest-set-time}); the
 *       {@code .deb}s come from the X desktop image's cache ({@code downloads/debootstrap}); kernel modules cut down
 *       to what a QEMU guest needs (virtio, AHCI and CD-ROM for install media and cloud-init seeds, ext4, vfat, isofs, bochs-drm, virtio-gpu and their dependencies, then
 *       {@code depmod}), a small initramfs ({@code MODULES=list}); init is {@code /sbin/atrium-boot} (no systemd:
 *       udev, a cloud-init NoCloud hostname reader, {@code qemu-ga}, a shell on tty1 under a banner);
 *       {@code mke2fs -d} makes the ext4 root file system image;</li>
 *   <li><b>a variant</b> (cached per variant): the version marker {@code /etc/atrium/version}, the banner colour and
 *       whether the guest agent runs are written into a copy of the root image with {@code debugfs}; a FAT
 *       partition made with mtools holds the kernel, the initramfs, syslinux ({@code syslinux --install} through
 *       mtools, for SeaBIOS) and {@code EFI/BOOT/BOOTX64.EFI} ({@code grub-mkstandalone}, for OVMF); {@code sfdisk}
 *       writes an MBR partition table (the FAT partition is type EF and active, so both firmwares boot it),
 *       syslinux's {@code mbr.bin} goes into the MBR, and the partitions are written at their offsets with
 *       {@code dd}; {@code qemu-img convert -c} makes the qcow2 an admin would upload.</li>
 * </ol>
 * So one disk boots under SeaBIOS and under OVMF. Needs the Debian packages debootstrap, e2fsprogs, dosfstools,
 * mtools, syslinux, syslinux-common, grub-efi-amd64-bin, fdisk and qemu-utils (a missing one fails, never skips).
 */
public final class DebianDiskImage {

    /** 2: virtio_gpu kept (every VM has virtio-vga, whose UEFI GOP has no linear framebuffer for efifb). */
    static final String RECIPE = "atrium-debian-disk/2";
    static final String SUITE = "bookworm";
    static final String MIRROR = "http://deb.debian.org/debian";
    static final List<String> PACKAGES = List.of("linux-image-amd64", "udev", "kmod", "iproute2", "busybox",
            "qemu-guest-agent", "util-linux-extra", "initramfs-tools");
    /** Modules the guest needs; everything they depend on is kept too, the rest removed. */
    static final List<String> MODULES = List.of("virtio_pci", "virtio_blk", "virtio_net", "virtio_console",
            "virtio_rng", "ahci", "sr_mod", "ext4", "vfat", "isofs", "nls_cp437", "nls_ascii", "nls_utf8", "nls_iso8859_1", "bochs", "virtio_gpu",
            "evdev", "crc32c_generic", "crc32c_intel", "efivarfs");
    static final String ROOT_SIZE = "768M";
    static final int BOOT_MIB = 96;
    static final String APPEND = "root=/dev/vda2 rw rootfstype=ext4 init=/sbin/atrium-boot console=ttyS0,115200"
            + " console=tty0 quiet loglevel=3";
    /**
     * The memory the image needs: GRUB 2.06 (the UEFI bootloader) runs out of memory loading the kernel with 256 MiB
     * under OVMF.
     */
    public static final int MEMORY_MB = 512;
    /** Written on serial when the tty1 shell runs. */
    public static final String SHELL_READY = "atrium-boot: shell ready on /dev/tty1";

    /**
     * What distinguishes one build of the image from another.
     *
     * @param marker     the version marker, in {@code /etc/atrium/version} and on the banner
     * @param color      the banner's ANSI background colour ({@code 44} blue, {@code 42} green, {@code 41} red)
     * @param guestAgent whether {@code qemu-ga} runs
     */
    public record Variant(String marker, int color, boolean guestAgent) {
        public Variant {
            if (!marker.matches("[A-Za-z0-9._-]{1,40}")) {
                throw new IllegalArgumentException("marker: letters, digits, '.', '_', '-': " + marker);
            }
        }
    }

    /** The default variant: marker {@code v1}, blue, with the guest agent. */
    public static final Variant V1 = new Variant("v1", 44, true);
    /** A second version: marker {@code v2}, green, with the guest agent. */
    public static final Variant V2 = new Variant("v2", 42, true);

    private final Path dataDir;

    /** Builds in {@code dataDir/images}, with the .debs in {@code dataDir/downloads/debootstrap}. */
    public DebianDiskImage(Path dataDir) {
        this.dataDir = dataDir;
    }

    /** In {@link QemuFixture#sharedImageDataDir()}, shared by every module's tests. */
    public static DebianDiskImage shared() {
        return new DebianDiskImage(QemuFixture.sharedImageDataDir());
    }

    /** The qcow2 of the variant (0444; copy it before changing it), built on first use. */
    public Path qcow2(Variant variant) {
        Path root = root();
        String key = "debian-disk-" + root.getFileName().toString().substring("debian-disk-root-".length(),
                "debian-disk-root-".length() + 16) + "-" + sha256(variant.toString()).substring(0, 12);
        Path dir = DirectoryCache.ensure(dataDir.resolve("images"), key, "manifest.txt", "Debian disk test image "
                + variant.marker(), tmp -> assemble(root, variant, tmp));
        return dir.resolve("debian.qcow2");
    }

    /** The raw disk of the variant, uncompressed (for validation benchmarks); removed by the caller. */
    public Path raw(Variant variant, Path target) {
        run(List.of("qemu-img", "convert", "-f", "qcow2", "-O", "raw", qcow2(variant).toString(), target.toString()),
                600);
        return target;
    }

    // ------------------------------------------------------------------ root (debootstrap)

    private Path root() {
        Map<String, byte[]> files = files();
        StringBuilder recipe = new StringBuilder(RECIPE + "\n" + SUITE + "\n" + PACKAGES + "\n" + MODULES + "\n"
                + ROOT_SIZE + "\n" + APPEND + "\n");
        files.forEach((name, bytes) -> recipe.append(name).append(' ').append(sha256(bytes)).append('\n'));
        String key = "debian-disk-root-" + sha256(recipe.toString());
        return DirectoryCache.ensure(dataDir.resolve("images"), key, "manifest.txt", "Debian disk test root",
                tmp -> buildRoot(tmp, files, recipe.toString()));
    }

    private void buildRoot(Path tmp, Map<String, byte[]> files, String recipe) throws IOException {
        Path root = tmp.resolve("root");
        Path cache = Files.createDirectories(dataDir.resolve("downloads").resolve("debootstrap"));
        require("debootstrap", "mke2fs", "mkfs.fat", "mcopy", "syslinux", "sfdisk", "grub-mkstandalone", "qemu-img");
        run(List.of("debootstrap", "--variant=minbase", "--include=" + String.join(",", PACKAGES),
                "--cache-dir=" + cache, SUITE, root.toString(), MIRROR), 3600);
        String kernelVersion;
        try (Stream<Path> m = Files.list(root.resolve("lib/modules"))) {
            kernelVersion = m.map(p -> p.getFileName().toString()).findFirst()
                    .orElseThrow(() -> new VmmException("debootstrap installed no kernel modules"));
        }
        trimModules(root.resolve("lib/modules").resolve(kernelVersion));
        run(List.of("chroot", root.toString(), "depmod", kernelVersion), 300);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            String[] target = FILES.get(f.getKey()).split(" ");
            Path file = root.resolve(target[0]);
            Files.createDirectories(file.getParent());
            Files.write(file, f.getValue());
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(target[1]));
        }
        Files.writeString(root.resolve("etc/hostname"), "atrium-debian\n");
        Files.writeString(root.resolve("etc/initramfs-tools/conf.d/atrium"), "MODULES=list\nCOMPRESS=gzip\n");
        Files.writeString(root.resolve("etc/initramfs-tools/modules"),
                "virtio_pci\nvirtio_blk\next4\ncrc32c_generic\n");
        run(List.of("chroot", root.toString(), "update-initramfs", "-u", "-k", kernelVersion), 600);
        Files.copy(root.resolve("boot/vmlinuz-" + kernelVersion), tmp.resolve("vmlinuz"));
        Files.copy(root.resolve("boot/initrd.img-" + kernelVersion), tmp.resolve("initrd.img"));
        for (String dir : List.of("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info",
                "var/cache/apt", "var/lib/apt/lists", "boot")) {
            DirectoryCache.deleteTree(root.resolve(dir));
        }
        Files.createDirectories(root.resolve("boot"));
        Files.createDirectories(root.resolve("var/lib/cloud"));
        run(List.of("mke2fs", "-q", "-F", "-t", "ext4", "-L", "atrium-root", "-d", root.toString(),
                tmp.resolve("root.ext4").toString(), ROOT_SIZE), 1800);
        DirectoryCache.deleteTree(root);
        Files.writeString(tmp.resolve("manifest.txt"), recipe + "kernel " + kernelVersion + "\n");
    }

    /** Keeps the listed modules and what they depend on (from modules.dep); removes every other module. */
    private static void trimModules(Path modules) throws IOException {
        Map<String, List<String>> deps = new LinkedHashMap<>();
        Map<String, String> byName = new LinkedHashMap<>();
        for (String line : Files.readAllLines(modules.resolve("modules.dep"))) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String module = line.substring(0, colon).strip();
            List<String> needs = new ArrayList<>();
            for (String d : line.substring(colon + 1).strip().split("\\s+")) {
                if (!d.isBlank()) {
                    needs.add(d);
                }
            }
            deps.put(module, needs);
            String file = Path.of(module).getFileName().toString();
            byName.put(file.substring(0, file.indexOf(".ko")).replace('-', '_'), module);
        }
        Set<String> keep = new LinkedHashSet<>();
        List<String> todo = new ArrayList<>();
        for (String name : MODULES) {
            String module = byName.get(name);
            if (module != null) {
                todo.add(module); // a module that is built in has no entry: nothing to keep
            }
        }
        while (!todo.isEmpty()) {
            String m = todo.removeLast();
            if (keep.add(m)) {
                todo.addAll(deps.getOrDefault(m, List.of()));
            }
        }
        try (Stream<Path> all = Files.walk(modules.resolve("kernel"))) {
            for (Path ko : all.filter(p -> p.getFileName().toString().contains(".ko")).toList()) {
                if (!keep.contains(modules.relativize(ko).toString())) {
                    Files.delete(ko);
                }
            }
        }
    }

    // ------------------------------------------------------------------ a variant

    private void assemble(Path root, Variant variant, Path tmp) throws IOException {
        Path rootImage = tmp.resolve("root.ext4");
        run(List.of("cp", "--sparse=always", root.resolve("root.ext4").toString(), rootImage.toString()), 600);
        Path files = Files.createDirectories(tmp.resolve("files"));
        Files.writeString(files.resolve("version"), variant.marker() + "\n");
        Files.writeString(files.resolve("color"), variant.color() + "\n");
        Files.writeString(files.resolve("agent"), "on\n");
        StringBuilder commands = new StringBuilder("cd /etc/atrium\n");
        commands.append("write ").append(files.resolve("version")).append(" version\n");
        commands.append("write ").append(files.resolve("color")).append(" color\n");
        if (variant.guestAgent()) {
            commands.append("write ").append(files.resolve("agent")).append(" guest-agent\n");
        }
        Path script = tmp.resolve("debugfs.cmds");
        Files.writeString(script, commands);
        run(List.of("debugfs", "-w", "-f", script.toString(), rootImage.toString()), 120);

        // The boot partition: FAT with the kernel, syslinux (BIOS) and GRUB (UEFI).
        Path boot = tmp.resolve("boot.fat");
        run(List.of("mkfs.fat", "-F", "32", "-n", "ATRIUMBOOT", "-h", "2048", "-C", boot.toString(),
                Integer.toString(BOOT_MIB * 1024)), 60);
        Path syslinuxCfg = tmp.resolve("syslinux.cfg");
        Files.writeString(syslinuxCfg, "DEFAULT atrium\nTIMEOUT 0\nPROMPT 0\nLABEL atrium\n  KERNEL /vmlinuz\n"
                + "  APPEND initrd=/initrd.img " + APPEND + "\n");
        Path grubCfg = tmp.resolve("grub.cfg");
        Files.writeString(grubCfg, "set timeout=0\nsearch --no-floppy --file /atrium-boot.id --set=root\n"
                + "linux /vmlinuz " + APPEND + "\ninitrd /initrd.img\nboot\n");
        Path efi = tmp.resolve("BOOTX64.EFI");
        run(List.of("grub-mkstandalone", "-O", "x86_64-efi", "-o", efi.toString(),
                "--modules=part_msdos fat search search_fs_file linux normal echo gzio",
                "--locales=", "--themes=", "--fonts=", "boot/grub/grub.cfg=" + grubCfg), 300);
        Path id = tmp.resolve("atrium-boot.id");
        Files.writeString(id, variant.marker() + "\n");
        String img = boot.toString();
        run(List.of("mcopy", "-i", img, root.resolve("vmlinuz").toString(), "::/vmlinuz"), 60);
        run(List.of("mcopy", "-i", img, root.resolve("initrd.img").toString(), "::/initrd.img"), 60);
        run(List.of("mcopy", "-i", img, syslinuxCfg.toString(), "::/syslinux.cfg"), 60);
        run(List.of("mcopy", "-i", img, id.toString(), "::/atrium-boot.id"), 60);
        run(List.of("mmd", "-i", img, "::/EFI", "::/EFI/BOOT"), 60);
        run(List.of("mcopy", "-i", img, efi.toString(), "::/EFI/BOOT/BOOTX64.EFI"), 60);
        run(List.of("syslinux", "--install", img), 60);

        // The disk: MBR (syslinux's boot code), the FAT partition (type EF, active), the ext4 root.
        long bootStart = 2048;
        long bootSectors = BOOT_MIB * 2048L;
        long rootStart = bootStart + bootSectors;
        long rootSectors = Files.size(rootImage) / 512;
        Path disk = tmp.resolve("disk.raw");
        run(List.of("truncate", "-s", Long.toString((rootStart + rootSectors) * 512), disk.toString()), 60);
        Path layout = tmp.resolve("sfdisk.txt");
        Files.writeString(layout, "label: dos\nunit: sectors\n\nstart=" + bootStart + ", size=" + bootSectors
                + ", type=ef, bootable\nstart=" + rootStart + ", size=" + rootSectors + ", type=83\n");
        run(List.of("sh", "-c", "sfdisk --no-reread --no-tell-kernel -q '" + disk + "' < '" + layout + "'"), 60);
        run(List.of("dd", "if=/usr/lib/syslinux/mbr/mbr.bin", "of=" + disk, "bs=440", "count=1", "conv=notrunc",
                "status=none"), 60);
        run(List.of("dd", "if=" + boot, "of=" + disk, "bs=512", "seek=" + bootStart, "conv=notrunc,sparse",
                "status=none"), 300);
        run(List.of("dd", "if=" + rootImage, "of=" + disk, "bs=1M", "seek=" + rootStart * 512, "oflag=seek_bytes",
                "conv=notrunc,sparse", "status=none"), 600);
        Path qcow2 = tmp.resolve("debian.qcow2");
        run(List.of("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", disk.toString(), qcow2.toString()), 1800);
        for (Path p : List.of(disk, rootImage, boot, efi, script, syslinuxCfg, grubCfg, id, layout)) {
            Files.delete(p);
        }
        DirectoryCache.deleteTree(files);
        Files.setPosixFilePermissions(qcow2, PosixFilePermissions.fromString("r--r--r--"));
        Files.writeString(tmp.resolve("manifest.txt"), "variant " + variant + "\nroot " + root.getFileName() + "\n");
    }

    // ------------------------------------------------------------------ helpers

    /** Resource name → "path-in-root mode". */
    static final Map<String, String> FILES = new LinkedHashMap<>();
    static {
        FILES.put("atrium-boot", "sbin/atrium-boot rwxr-xr-x");
        FILES.put("udhcpc.script", "etc/atrium/udhcpc.script rwxr-xr-x");
    }

    private static Map<String, byte[]> files() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String name : FILES.keySet()) {
            try (InputStream in = DebianDiskImage.class.getResourceAsStream("debian-disk/" + name)) {
                if (in == null) {
                    throw new VmmException("debian-disk/" + name + " missing from the test classpath");
                }
                out.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new VmmException(e.getMessage(), e);
            }
        }
        return out;
    }

    private static void require(String... tools) {
        for (String tool : tools) {
            ProcessRunner.requireTool(tool, "the disk-boot test image (Debian packages debootstrap e2fsprogs "
                    + "dosfstools mtools syslinux syslinux-common grub-efi-amd64-bin fdisk qemu-utils)");
        }
    }

    private static String run(List<String> argv, long timeoutSeconds) {
        return ProcessRunner.run(Command.of(argv).mergingErrors().withEnvironment(Map.of("LC_ALL", "C"))
                .withTimeout(Duration.ofSeconds(timeoutSeconds)).neededBy("the disk-boot test image")).stdout();
    }

    private static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
