package io.atrium.vmm.qemu;

import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.api.Firmware;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Pure function from a {@link VmSpec} to QEMU's argv. No I/O.
 *
 * <p>Invariants of every command line produced here:
 * <ul>
 *   <li>VNC only on the unix socket {@link RunDir#vncSocket()}, never on a TCP port;</li>
 *   <li>QMP only on the unix socket {@link RunDir#qmpSocket()};</li>
 *   <li>one NIC, {@code net0}, with the VM's MAC, on the spec's {@link NetBackend}: isolated user-mode
 *       networking ({@code restrict=on}, the default), an empty hub port (template golden VMs), user-mode NAT
 *       ({@code restrict=off}, only ever spawned inside its guarded network namespace: {@link #spawnPrefix}) or
 *       a lab switch port; never a host bridge, a tap opened by QEMU, or a multicast socket;</li>
 *   <li>the seccomp sandbox denies obsolete syscalls, privilege elevation, spawning and resource
 *       control;</li>
 *   <li>no default devices and no user config file: the VM has exactly the devices listed;</li>
 *   <li>the guest agent channel ({@code ttyS1}) is the unix socket {@link RunDir#agentSocket()};</li>
 *   <li>there is at most one virtio-serial controller ({@value #VIRTIO_SERIAL}), present exactly
 *       when the VM has a virtio-serial port, and every port is on it; the QEMU guest agent port
 *       {@value #GUEST_AGENT_PORT} ({@link VmSpec#guestAgent()}) is the unix socket
 *       {@link RunDir#qgaSocket()}; the SPICE vdagent port {@value #VDAGENT_PORT} ({@link VmSpec#vdagent()}) is
 *       not on the command line but hot-plugged onto that controller once QEMU runs
 *       ({@link QemuVm#plugVdagent()});</li>
 *   <li>the display is {@code virtio-vga} (VGA text mode for the console guest, virtio-gpu modes the guest
 *       can change for X: QEMU forwards a viewer's {@code SetDesktopSize} to it) and the pointer a
 *       {@code virtio-tablet-pci} (absolute, so the guest's pointer is where the viewer's is); QEMU is never
 *       started with {@code -k}: viewers send scancodes and the guest's layout makes the characters;</li>
 *   <li>an instant clone ({@link VmSpec#incoming()}) has exactly the devices of the VM whose state
 *       it restores: only {@code -incoming defer} is added, and names, paths, MAC and generation id may
 *       differ;</li>
 *   <li>every VM has a {@code vmgenid} device with the spec's generation id (a new one per boot and per clone, so
 *       a restored guest reseeds its random state);</li>
 *   <li>CDs are read-only; UEFI firmware code is read-only and each VM writes only its own variable store; a
 *       disk-boot VM boots its disk first, then the CDs in order.</li>
 * </ul>
 */
final class QemuCommandLine {

    /** Id of the one virtio-serial controller; every {@code virtserialport} is on its bus. */
    static final String VIRTIO_SERIAL = "virtio-serial0";
    /** Name of the QEMU guest agent's port (what {@code qemu-ga} in the guest opens). */
    static final String GUEST_AGENT_PORT = "org.qemu.guest_agent.0";
    /** Name of the SPICE vdagent's port (what {@code spice-vdagentd} in the guest opens). */
    static final String VDAGENT_PORT = "com.redhat.spice.0";

    /**
     * A port on the virtio-serial controller: a chardev (its QEMU options, {@code id=<chardev>}
     * among them) and the port name the guest sees under {@code /dev/virtio-ports/}.
     */
    private record VirtioSerialPort(String chardev, String chardevOptions, String name) {
    }

    private QemuCommandLine() {
    }

    /** The argv with {@value VmmProperties#DEFAULT_QEMU} as the binary. */
    static List<String> build(VmSpec spec) {
        return build(VmmProperties.DEFAULT_QEMU, spec);
    }

    /** The argv, starting with {@code qemuBinary}. */
    static List<String> build(String qemuBinary, VmSpec spec) {
        Objects.requireNonNull(qemuBinary, "qemuBinary");
        Objects.requireNonNull(spec, "spec");
        List<String> args = new ArrayList<>();
        args.add(qemuBinary);
        add(args, "-name", spec.name());
        args.add("-nodefaults");
        args.add("-no-user-config");
        add(args, "-machine", "q35");
        switch (spec.accel().accel()) {
            case KVM -> {
                add(args, "-accel", withOptions("kvm", spec.accelOptions()));
                add(args, "-cpu", "host");
            }
            case TCG -> add(args, "-accel", withOptions("tcg", spec.accelOptions()));
            case AUTO -> throw new IllegalStateException("unresolved accelerator");
        }
        add(args, "-smp", Integer.toString(spec.vcpus()));
        add(args, "-m", spec.memoryMb() + "M");
        if (spec.firmware() == Firmware.UEFI) {
            add(args, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + spec.firmwareCode());
            add(args, "-drive", "if=pflash,format=raw,unit=1,file=" + spec.efiVars());
        }
        if (!spec.bootsFromDisk()) {
            add(args, "-kernel", spec.kernel().toString());
            add(args, "-initrd", spec.initrd().toString());
            add(args, "-append", spec.append());
        }
        if (spec.disk() != null) {
            add(args, "-drive", "file=" + spec.disk() + ",if=none,id=disk0,format=qcow2,cache=writeback,discard=unmap");
            add(args, "-device", "virtio-blk-pci,drive=disk0" + (spec.bootsFromDisk() ? ",bootindex=1" : ""));
        }
        for (int i = 0; i < spec.cdroms().size(); i++) {
            add(args, "-drive", "file=" + spec.cdroms().get(i) + ",if=none,id=cd" + i
                    + ",media=cdrom,readonly=on,format=raw");
            add(args, "-device", "ide-cd,drive=cd" + i + ",bus=ide." + i
                    + (spec.bootsFromDisk() ? ",bootindex=" + (2 + i) : ""));
        }
        add(args, "-netdev", spec.network().netdev("net0"));
        add(args, "-device", "virtio-net-pci,netdev=net0,mac=" + spec.macAddress());
        add(args, "-device", "virtio-vga");
        add(args, "-device", "virtio-tablet-pci");
        add(args, "-device", "vmgenid,guid=" + spec.generationId());
        add(args, "-serial", "file:" + spec.serialLog());
        add(args, "-chardev", "socket,id=agent,path=" + spec.agentSocket() + ",server=on,wait=off");
        add(args, "-serial", "chardev:agent");
        addVirtioSerial(args, virtioSerialPorts(spec), spec.vdagent());
        add(args, "-chardev", "socket,id=qmp,path=" + spec.qmpSocket() + ",server=on,wait=off");
        add(args, "-mon", "chardev=qmp,mode=control");
        add(args, "-vnc", "unix:" + spec.vncSocket());
        add(args, "-pidfile", spec.pidFile().toString());
        add(args, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
        if (spec.incoming()) {
            add(args, "-incoming", "defer");
        }
        args.addAll(spec.extraArgs());
        return List.copyOf(args);
    }

    /**
     * What goes before QEMU's argv to start it where its network needs it: {@code ip netns exec <namespace>} for a
     * backend with a namespace ({@link NetBackend#netns()}), nothing otherwise. Pure, like {@link #build}.
     *
     * @param ipBinary the {@code ip} program (iproute2)
     */
    static List<String> spawnPrefix(String ipBinary, VmSpec spec) {
        Objects.requireNonNull(ipBinary, "ipBinary");
        return spec.network().netns().map(ns -> List.of(ipBinary, "netns", "exec", ns)).orElse(List.of());
    }

    /**
     * The virtio-serial ports of the VM, in a fixed order (the order is part of the machine: an
     * instant clone restores the port numbers of its template). The SPICE vdagent's port is not among them: it is
     * hot-plugged ({@link QemuVm#plugVdagent()}).
     */
    private static List<VirtioSerialPort> virtioSerialPorts(VmSpec spec) {
        List<VirtioSerialPort> ports = new ArrayList<>();
        if (spec.guestAgent()) {
            ports.add(new VirtioSerialPort("qga", "socket,id=qga,path=" + spec.qgaSocket() + ",server=on,wait=off",
                    GUEST_AGENT_PORT));
        }
        return ports;
    }

    /** One controller for all ports (also for the hot-plugged vdagent port), none without ports. */
    private static void addVirtioSerial(List<String> args, List<VirtioSerialPort> ports, boolean hotPlugged) {
        if (ports.isEmpty() && !hotPlugged) {
            return;
        }
        add(args, "-device", "virtio-serial-pci,id=" + VIRTIO_SERIAL);
        for (VirtioSerialPort port : ports) {
            add(args, "-chardev", port.chardevOptions());
            add(args, "-device", "virtserialport,bus=" + VIRTIO_SERIAL + ".0,chardev=" + port.chardev()
                    + ",name=" + port.name());
        }
    }

    private static String withOptions(String accel, String options) {
        return options.isEmpty() ? accel : accel + "," + options;
    }

    private static void add(List<String> args, String option, String value) {
        args.add(option);
        args.add(value);
    }
}
