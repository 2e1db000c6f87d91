package io.atrium.vmm.qemu;

import io.atrium.vmm.api.Firmware;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Everything needed to start one QEMU VM. Immutable and validated; turned into a command line by
 * {@link QemuCommandLine#build(VmSpec)}.
 *
 * <p>All files the VM's QEMU process creates live in {@link #runDir()}, laid out by {@link RunDir}
 * ({@link #layout()}). Unix socket paths are limited to 107 bytes, so runDir must be short enough
 * for every socket in it ({@link RunDir#sockets()}).
 *
 * @param name VM name; also the guest hostname. Lower case letters, digits and '-', max 63 chars
 * @param vcpus number of virtual CPUs (1..64)
 * @param memoryMb guest RAM in MiB (64..1048576)
 * @param accel resolved accelerator (see {@link AcceleratorProbe})
 * @param kernel kernel image passed with {@code -kernel}, or {@code null} to boot from the disk through the
 *     firmware (a disk-boot image; then {@code initrd} is null and {@code append} empty)
 * @param initrd initramfs passed with {@code -initrd} (null without a kernel)
 * @param append kernel command line passed with {@code -append} (empty without a kernel)
 * @param disk qcow2 disk (normally the linked clone {@link RunDir#overlay()}, made by
 *     {@code io.atrium.vmm.disk.Disks.createLinkedClone}) attached as virtio-blk, or {@code null} for none
 * @param runDir directory holding the VM's sockets, logs and pid file
 * @param macAddress MAC of the virtio-net NIC, {@code xx:xx:xx:xx:xx:xx}
 * @param extraArgs additional QEMU arguments appended at the end (devices, e.g. GPU passthrough);
 *     may not contain {@code -vnc} or {@code -display}
 * @param accelOptions extra accelerator properties appended to {@code -accel}, e.g.
 *     {@code tb-size=64} for TCG; empty for none. Only {@code key=value} pairs joined by ','
 * @param incoming {@code true} to start QEMU with {@code -incoming defer}: it waits for a
 *     migration stream (an instant clone restoring a template's saved state) instead of booting
 * @param guestAgent {@code true} to give the VM the QEMU guest agent channel: the virtio-serial
 *     controller and on it the port {@code org.qemu.guest_agent.0}, whose host end is the unix
 *     socket {@link RunDir#qgaSocket()}. Opt-in (default {@code false}); a device of the machine, so
 *     an instant clone has it exactly when its template has it
 * @param network the NIC's backend (default {@link NetBackend.Restricted}: isolated); not a device, so a clone
 *     may have another backend than its template's golden VM
 * @param firmware {@link Firmware#BIOS} (SeaBIOS, QEMU's default) or {@link Firmware#UEFI} (OVMF as two pflash
 *     drives: {@code firmwareCode} read-only, {@code efiVars} the VM's own variable store)
 * @param firmwareCode the OVMF code image (UEFI only, else null)
 * @param efiVars the VM's own UEFI variable store, a copy of OVMF's template ({@link RunDir#efiVars()}; UEFI
 *     only, else null)
 * @param cdroms ISO images attached read-only as CDs on the q35 AHCI ports, in order (at most 4): an install
 *     medium, a cloud-init seed
 * @param generationId the VM generation id of the {@code vmgenid} device (a UUID): a new one for every boot and
 *     every instant clone, so a guest that restored a saved state reseeds its random number generator
 * @param vdagent {@code true} to give the VM the SPICE vdagent port {@code com.redhat.spice.0} (a
 *     {@code qemu-vdagent} chardev with the clipboard on) for the guest's {@code spice-vdagent}: QEMU's VNC server
 *     then offers the extended clipboard. The port is on the same virtio-serial controller, but it is
 *     <em>hot-plugged</em> ({@link QemuVm#plugVdagent()}) once the machine runs, never on the command line: QEMU
 *     7.2's {@code qemu-vdagent} chardev blocks migration, and instant clones are saved and restored by migration
 */
public record VmSpec(
        String name,
        int vcpus,
        int memoryMb,
        ResolvedAccelerator accel,
        Path kernel,
        Path initrd,
        String append,
        Path disk,
        Path runDir,
        String macAddress,
        List<String> extraArgs,
        String accelOptions,
        boolean incoming,
        boolean guestAgent,
        NetBackend network,
        Firmware firmware,
        Path firmwareCode,
        Path efiVars,
        List<Path> cdroms,
        String generationId,

        boolean vdagent) {

    /** Maximum length of a unix socket path (sun_path is 108 bytes including the NUL). */
    public static final int MAX_SOCKET_PATH = 107;
    /** At most this many CDs (AHCI ports of q35). */
    public static final int MAX_CDROMS = 4;

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");
    private static final Pattern ACCEL_OPTIONS = Pattern.compile("([a-z0-9-]+=[a-zA-Z0-9-]+)(,[a-z0-9-]+=[a-zA-Z0-9-]+)*");
    private static final SecureRandom RANDOM = new SecureRandom();

    public VmSpec {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("VM name must be a hostname label (a-z, 0-9, '-', max 63): " + name);
        }
        if (vcpus < 1 || vcpus > 64) {
            throw new IllegalArgumentException("vcpus must be 1..64, got " + vcpus);
        }
        if (memoryMb < 64 || memoryMb > 1024 * 1024) {
            throw new IllegalArgumentException("memoryMb must be 64..1048576, got " + memoryMb);
        }
        Objects.requireNonNull(accel, "accel");
        Objects.requireNonNull(append, "append");
        if (kernel == null) {
            if (initrd != null || !append.isEmpty()) {
                throw new IllegalArgumentException("an initrd or kernel command line needs a kernel");
            }
        } else {
            kernel = absolute(kernel, "kernel");
            initrd = absolute(initrd, "initrd");
        }
        if (append.indexOf('\n') >= 0 || append.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("kernel append line contains a newline or NUL");
        }
        firmware = firmware == null ? Firmware.BIOS : firmware;
        if (firmware == Firmware.UEFI) {
            firmwareCode = absolute(firmwareCode, "firmwareCode");
            efiVars = absolute(efiVars, "efiVars");
        } else if (firmwareCode != null || efiVars != null) {
            throw new IllegalArgumentException("firmware code and UEFI variables are for UEFI only");
        }
        cdroms = List.copyOf(cdroms == null ? List.of() : cdroms);
        if (cdroms.size() > MAX_CDROMS) {
            throw new IllegalArgumentException("at most " + MAX_CDROMS + " CDs, got " + cdroms.size());
        }
        cdroms = cdroms.stream().map(c -> absolute(c, "cdrom")).toList();
        Objects.requireNonNull(generationId, "generationId");
        if (!generationId.equals(canonicalUuid(generationId))) {
            throw new IllegalArgumentException("generationId must be a lower-case UUID: " + generationId);
        }
        disk = disk == null ? null : absolute(disk, "disk");
        runDir = absolute(runDir, "runDir");
        macAddress = Objects.requireNonNull(macAddress, "macAddress").toLowerCase(java.util.Locale.ROOT);
        if (!MAC.matcher(macAddress).matches()) {
            throw new IllegalArgumentException("invalid MAC address: " + macAddress);
        }
        if ((Integer.parseInt(macAddress.substring(0, 2), 16) & 1) != 0) {
            throw new IllegalArgumentException("MAC address must be unicast: " + macAddress);
        }
        extraArgs = List.copyOf(extraArgs == null ? List.of() : extraArgs);
        for (String arg : extraArgs) {
            if (arg.equals("-vnc") || arg.equals("-display") || arg.startsWith("-vnc=") || arg.startsWith("-display=")) {
                throw new IllegalArgumentException("extraArgs may not configure the display/VNC: " + arg);
            }
        }
        accelOptions = accelOptions == null ? "" : accelOptions;
        network = network == null ? new NetBackend.Restricted() : network;
        if (!accelOptions.isEmpty() && !ACCEL_OPTIONS.matcher(accelOptions).matches()) {
            throw new IllegalArgumentException("accelOptions must be key=value pairs joined by ',': " + accelOptions);
        }
        for (Path socket : RunDir.of(runDir).sockets()) {
            int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
            if (length > MAX_SOCKET_PATH) {
                throw new IllegalArgumentException("runDir too long: unix socket path " + socket + " is "
                        + length + " bytes, the limit is " + MAX_SOCKET_PATH);
            }
        }
    }

    /** Whether the VM boots from its disk through the firmware (no {@code -kernel}). */
    public boolean bootsFromDisk() {
        return kernel == null;
    }

    /** The files of {@link #runDir()}. */
    public RunDir layout() {
        return RunDir.of(runDir);
    }

    /**
     * The guest agent channel ({@link RunDir#agentSocket()}). The console guest's agent reads
     * {@code identity <hostname> <mac>} there and answers {@code ack identity <hostname> <mac>}.
     */
    public Path agentSocket() {
        return layout().agentSocket();
    }

    /**
     * The QEMU guest agent channel ({@link RunDir#qgaSocket()}); QEMU creates it only when
     * {@link #guestAgent()} is set. Talk to it with {@code io.atrium.vmm.qga.QgaClient}.
     */
    public Path qgaSocket() {
        return layout().qgaSocket();
    }

    /** Where an {@link #incoming()} VM listens for its migration stream ({@link RunDir#incomingSocket()}). */
    public Path incomingSocket() {
        return layout().incomingSocket();
    }

    /** QMP control socket ({@link RunDir#qmpSocket()}). */
    public Path qmpSocket() {
        return layout().qmpSocket();
    }

    /** Directory of the VNC socket, mode 0700 ({@link RunDir#vncDir()}). */
    public Path vncDir() {
        return layout().vncDir();
    }

    /** VNC unix socket ({@link RunDir#vncSocket()}). VNC is never exposed on TCP. */
    public Path vncSocket() {
        return layout().vncSocket();
    }

    /** Guest serial console output ({@link RunDir#serialLog()}). */
    public Path serialLog() {
        return layout().serialLog();
    }

    /** QEMU's own stdout/stderr ({@link RunDir#qemuLog()}). */
    public Path qemuLog() {
        return layout().qemuLog();
    }

    /** QEMU's pid file ({@link RunDir#pidFile()}). */
    public Path pidFile() {
        return layout().pidFile();
    }

    /** A random locally administered unicast MAC in QEMU's 52:54:00 range. */
    public static String randomMac() {
        byte[] tail = new byte[3];
        RANDOM.nextBytes(tail);
        return "52:54:00:" + HexFormat.ofDelimiter(":").formatHex(tail);
    }

    /** A fresh VM generation id (a random UUID). */
    public static String newGenerationId() {
        return UUID.randomUUID().toString();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().name(name).vcpus(vcpus).memoryMb(memoryMb).accel(accel).kernel(kernel)
                .initrd(initrd).append(append).disk(disk).runDir(runDir).macAddress(macAddress)
                .extraArgs(extraArgs).accelOptions(accelOptions).incoming(incoming).guestAgent(guestAgent)
                .network(network)
                .firmware(firmware).firmwareCode(firmwareCode).efiVars(efiVars).cdroms(cdroms)
                .generationId(generationId)
                .vdagent(vdagent);
    }

    private static String canonicalUuid(String text) {
        try {
            return UUID.fromString(text).toString();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Path absolute(Path path, String what) {
        Objects.requireNonNull(path, what);
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException(what + " must be an absolute path: " + path);
        }
        if (path.toString().indexOf(',') >= 0) {
            throw new IllegalArgumentException(what + " path may not contain ',' (QEMU option syntax): " + path);
        }
        return path.normalize();
    }

    /**
     * Builder with defaults: 1 vCPU, 256 MiB, empty append, no disk, random MAC, no guest agent channel, no vdagent,
     * an isolated NIC, BIOS, no CDs, a new generation id.
     */
    public static final class Builder {
        private String name;
        private int vcpus = 1;
        private int memoryMb = 256;
        private ResolvedAccelerator accel;
        private Path kernel;
        private Path initrd;
        private String append = "";
        private Path disk;
        private Path runDir;
        private String macAddress;
        private List<String> extraArgs = List.of();
        private String accelOptions = "";
        private boolean incoming;
        private boolean guestAgent;
        private NetBackend network = new NetBackend.Restricted();
        private Firmware firmware = Firmware.BIOS;
        private Path firmwareCode;
        private Path efiVars;
        private List<Path> cdroms = List.of();
        private String generationId;
        private boolean vdagent;

        private Builder() {
        }

        public Builder name(String value) { this.name = value; return this; }
        public Builder vcpus(int value) { this.vcpus = value; return this; }
        public Builder memoryMb(int value) { this.memoryMb = value; return this; }
        public Builder accel(ResolvedAccelerator value) { this.accel = value; return this; }
        public Builder kernel(Path value) { this.kernel = value; return this; }
        public Builder initrd(Path value) { this.initrd = value; return this; }
        public Builder append(String value) { this.append = value; return this; }
        public Builder disk(Path value) { this.disk = value; return this; }
        public Builder runDir(Path value) { this.runDir = value; return this; }
        public Builder macAddress(String value) { this.macAddress = value; return this; }
        public Builder extraArgs(List<String> value) { this.extraArgs = value; return this; }
        public Builder accelOptions(String value) { this.accelOptions = value; return this; }
        public Builder incoming(boolean value) { this.incoming = value; return this; }
        public Builder guestAgent(boolean value) { this.guestAgent = value; return this; }
        public Builder network(NetBackend value) { this.network = value; return this; }
        public Builder firmware(Firmware value) { this.firmware = value; return this; }
        public Builder firmwareCode(Path value) { this.firmwareCode = value; return this; }
        public Builder efiVars(Path value) { this.efiVars = value; return this; }
        public Builder cdroms(List<Path> value) { this.cdroms = value; return this; }
        public Builder generationId(String value) { this.generationId = value; return this; }

        public Builder vdagent(boolean value) { this.vdagent = value; return this; }

        public VmSpec build() {
            return new VmSpec(name, vcpus, memoryMb, accel, kernel, initrd, append, disk, runDir,
                    macAddress == null ? randomMac() : macAddress, extraArgs, accelOptions, incoming, guestAgent,
                    network, firmware, firmwareCode, efiVars, cdroms, generationId == null ? newGenerationId() : generationId,
                    vdagent);
        }
    }
}
