package io.atrium.vmm.bench;

import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.api.LabSegment;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.api.MachineSpec.BootMode;
import io.atrium.vmm.api.MachineSpec.DiskPolicy;
import io.atrium.vmm.api.MachineSpec.ImageRef;
import io.atrium.vmm.api.MachineSpec.NetworkAttachment;
import io.atrium.vmm.host.LocalMachineHost;
import io.atrium.vmm.host.VmmHost;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.network.HostNetworks;
import io.atrium.vmm.qemu.AcceleratorProbe;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.testing.GuestConsole;
import io.atrium.vmm.testing.NetworkTestbed;
import io.atrium.vmm.testing.QemuFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Desktop network benchmark, all in one run, with real console guests (instant clones) on this host:
 *
 * <ul>
 *   <li>throughput (MB/s) of an HTTP transfer (busybox {@code httpd} and {@code wget}, timed in the guest with
 *       {@code /proc/uptime}): desktop to desktop on one lab switch, and a desktop fetching from "the outside world"
 *       (the testbed's namespace) through NAT and through a lab's NAT, each against the baseline of the same transfer
 *       over the guest's own loopback (what the guest's CPU allows under this accelerator);</li>
 *   <li>memory: PSS and RSS of the helper processes per lab switch ({@code vde_switch}, {@code dnsmasq}; NAT has
 *       none), and QEMU's PSS per desktop on each network against an isolated desktop's.</li>
 * </ul>
 * Prints a Markdown section for {@code docs/benchmarks.md}. Run: {@code vmm-host/bench/networks.sh [--reps N]
 * [--megabytes N]}; needs root (namespaces), like the integration tests, and leaves nothing behind.
 */
public final class NetworkBenchmark {

    private static final Duration COMMAND = Duration.ofMinutes(3);
    private static final Pattern TIMED = Pattern.compile("BENCH (\\d+) (\\d+\\.\\d+) (\\d+\\.\\d+)");

    public static void main(String[] args) throws Exception {
        int reps = 3;
        int megabytes = 16;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--megabytes" -> megabytes = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path dataDir = Files.createTempDirectory("atrium-netbench-");
        VmmProperties properties = VmmProperties.defaults(dataDir).withAccel(QemuFixture.requestedAccelerator());
        ResolvedAccelerator accel = new AcceleratorProbe().resolve(properties.accel());
        GuestImages images = new GuestImages(VmmProperties.defaults(QemuFixture.sharedImageDataDir()));
        StringBuilder out = new StringBuilder();
        try (NetworkTestbed bed = NetworkTestbed.start()) {
            VmmHost vmm = new VmmHost(properties, accel, images, new QemuLauncher(properties));
            HostNetworks networks = new HostNetworks(properties, bed.properties());
            LocalMachineHost host = new LocalMachineHost(vmm, networks);
            try {
                run(out, bed, vmm, host, networks, accel, reps, megabytes);
            } finally {
                host.release(); // no VMs kept: every desktop network goes too
                vmm.launcher().close();
                bed.assertNoLeftovers(networks.stateDir());
            }
        } finally {
            deleteTree(dataDir);
        }
        System.out.print(out);
    }

    private static void run(StringBuilder out, NetworkTestbed bed, VmmHost vmm, LocalMachineHost host,
                            HostNetworks networks,
                            ResolvedAccelerator accel, int reps, int megabytes) throws IOException {
        LabSegment closed = new LabSegment("10.84.0.0/24", "10.84.0.1", "10.84.0.10", "10.84.0.50", false);
        LabSegment open = new LabSegment("10.85.0.0/24", "10.85.0.1", "10.85.0.10", "10.85.0.50", true);
        GuestConsole iso = start(vmm, host, "bench-iso", NetworkAttachment.ISOLATED);
        GuestConsole a = start(vmm, host, "bench-a", NetworkAttachment.lab("bencha", closed));
        GuestConsole b = start(vmm, host, "bench-b", NetworkAttachment.lab("bencha", closed));
        GuestConsole n = start(vmm, host, "bench-n", NetworkAttachment.NAT);
        GuestConsole c = start(vmm, host, "bench-c", NetworkAttachment.lab("benchc", open));
        iso.awaitLease(COMMAND);
        a.awaitLease(COMMAND);
        String ipB = b.awaitLease(COMMAND);
        n.awaitLease(COMMAND);
        c.awaitLease(COMMAND);

        // the same file on every server: a guest's httpd (tmpfs), and the outside world's
        String file = "dd if=/dev/zero of=/tmp/www/f bs=1M count=" + megabytes + " 2>/dev/null";
        for (GuestConsole g : List.of(a, b)) {
            g.run("mkdir -p /tmp/www; " + file + "; httpd -p 8000 -h /tmp/www", COMMAND);
        }
        Files.write(bed.wwwDir().resolve("f"), new byte[megabytes << 20]);

        List<Double> loopback = new ArrayList<>();
        List<Double> lab = new ArrayList<>();
        List<Double> nat = new ArrayList<>();
        List<Double> labNat = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
            loopback.add(fetch(a, "http://127.0.0.1:8000/f", megabytes));
            lab.add(fetch(a, "http://" + ipB + ":8000/f", megabytes));
            nat.add(fetch(n, "http://" + NetworkTestbed.OUTSIDE + "/f", megabytes));
            labNat.add(fetch(c, "http://" + NetworkTestbed.OUTSIDE + "/f", megabytes));
        }

        out.append(String.format(Locale.ROOT, "Machine: %d CPU cores, %s; accelerator %s; console guests (1 vCPU, "
                        + "256 MiB, instant clones); %d MiB per transfer, %d repetitions, median.%n%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), accel.accel(), megabytes, reps));
        out.append("| transfer (HTTP, busybox wget ← httpd) | MB/s (median) | min | max | ratio to the guest's loopback |\n");
        out.append("|---|---:|---:|---:|---:|\n");
        double base = median(loopback);
        row(out, "baseline: inside one guest, over its loopback", loopback, base);
        row(out, "desktop ← desktop, one lab switch (vde_switch)", lab, base);
        row(out, "desktop ← outside world, NAT (user-mode networking in the NAT namespace)", nat, base);
        row(out, "desktop ← outside world, lab with NAT (lab router, kernel NAT)", labNat, base);

        // memory: helpers per lab switch, QEMU per desktop
        out.append("\n| memory | PSS MiB | RSS MiB | ratio (PSS) to one isolated desktop's QEMU |\n|---|---:|---:|---:|\n");
        Memory isoQemu = Memory.of(pidOf(vmm, "bench-iso"));
        Path lab1 = networks.stateDir().resolve("lab-bencha");
        Memory vde = Memory.of(pidFile(lab1.resolve("switch.pid")));
        Memory dnsmasq = Memory.of(pidFile(lab1.resolve("dnsmasq.pid")));
        memoryRow(out, "QEMU of an isolated desktop (baseline)", isoQemu, isoQemu);
        memoryRow(out, "QEMU of a lab desktop", Memory.of(pidOf(vmm, "bench-a")), isoQemu);
        memoryRow(out, "QEMU of a NAT desktop", Memory.of(pidOf(vmm, "bench-n")), isoQemu);
        memoryRow(out, "QEMU of a desktop on a lab with NAT", Memory.of(pidOf(vmm, "bench-c")), isoQemu);
        memoryRow(out, "per lab switch: vde_switch", vde, isoQemu);
        memoryRow(out, "per lab switch: dnsmasq", dnsmasq, isoQemu);
        memoryRow(out, "per lab switch: both", vde.plus(dnsmasq), isoQemu);
        out.append("\nNAT pools have no helper process: the NAT namespace is one per host, and user-mode networking "
                + "runs inside each NAT desktop's QEMU (counted in its PSS above).\n");
    }

    /** Fetches the file and returns MB/s, timed by the guest's clock (1/100 s). */
    private static double fetch(GuestConsole g, String url, int megabytes) {
        String cmd = "a=$(cut -d' ' -f1 /proc/uptime); wget -q -O /dev/null " + url + "; r=$?;"
                + " b=$(cut -d' ' -f1 /proc/uptime); echo BENCH $r $a $b";
        GuestConsole.Result r = g.run(cmd, COMMAND);
        Matcher m = TIMED.matcher(r.output());
        if (!m.find() || !m.group(1).equals("0")) {
            throw new IllegalStateException(g.vm().name() + ": fetching " + url + " failed: " + r.output());
        }
        double seconds = Double.parseDouble(m.group(3)) - Double.parseDouble(m.group(2));
        return megabytes * 1.048576 / Math.max(seconds, 0.01);
    }

    private static GuestConsole start(VmmHost vmm, LocalMachineHost host, String name, NetworkAttachment network) {
        host.start(new MachineSpec(name, VmSpec.randomMac(), ImageRef.of("console"), 1, 256, DiskPolicy.FRESH,
                BootMode.INSTANT_CLONE_PREFERRED, network, Optional.empty()));
        QemuVm vm = vmm.launcher().vms().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
        vm.awaitSerialOutput("shell ready on /dev/tty1 as atrium@" + name, COMMAND);
        return new GuestConsole(vm);
    }

    private static long pidOf(VmmHost vmm, String name) {
        return vmm.launcher().vms().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow().pid();
    }

    private static long pidFile(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).strip());
    }

    /** PSS and RSS of a process in KiB ({@code /proc/<pid>/smaps_rollup}). */
    record Memory(long pssKb, long rssKb) {
        static Memory of(long pid) throws IOException {
            long pss = 0;
            long rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"),
                    StandardCharsets.US_ASCII)) {
                if (line.startsWith("Pss:")) {
                    pss = kb(line);
                } else if (line.startsWith("Rss:")) {
                    rss = kb(line);
                }
            }
            return new Memory(pss, rss);
        }

        Memory plus(Memory o) {
            return new Memory(pssKb + o.pssKb, rssKb + o.rssKb);
        }

        private static long kb(String line) {
            return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
    }

    private static void row(StringBuilder out, String what, List<Double> mbps, double base) {
        List<Double> sorted = mbps.stream().sorted().toList();
        double med = median(mbps);
        out.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.2f |%n", what, med, sorted.getFirst(),
                sorted.getLast(), med / base));
    }

    private static void memoryRow(StringBuilder out, String what, Memory m, Memory base) {
        out.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.3f |%n", what, m.pssKb() / 1024.0,
                m.rssKb() / 1024.0, (double) m.pssKb() / base.pssKb()));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1)
                    .strip()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
