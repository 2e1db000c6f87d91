package io.atrium.vmm.bench;

import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.clone.Template;
import io.atrium.vmm.disk.Disks;
import io.atrium.vmm.host.VmmHost;
import io.atrium.vmm.image.GuestImage;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.qemu.AcceleratorProbe;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.testing.Frames;
import io.atrium.vmm.testing.QemuFixture;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Provisioning benchmark, all in one run: (a) linked-clone creation against a full copy of the
 * golden disk; (b) cold boot against instant clone, each to the first guest frame (the first QMP
 * screendump that shows the guest's own screen: the console's blue prompt, or the X desktop), for
 * the console guest and the X desktop. Prints a Markdown section for {@code docs/benchmarks.md}.
 *
 * <p>Run: {@code vmm-host/bench/provisioning.sh [--reps N] [--x-reps N] [--no-x]}. Images come from
 * the shared test cache ({@code ~/.cache/atrium/test-data}); templates and VMs live in a fresh
 * temporary data dir, so the one-off template preparation is measured too.
 */
public final class ProvisioningBenchmark {

    public static void main(String[] args) throws Exception {
        int reps = 5;
        int xReps = 3;
        boolean withX = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--x-reps" -> xReps = Integer.parseInt(args[++i]);
                case "--no-x" -> withX = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path dataDir = Files.createTempDirectory("atrium-bench-");
        VmmProperties properties = VmmProperties.defaults(dataDir).withAccel(QemuFixture.requestedAccelerator());
        ResolvedAccelerator accel = new AcceleratorProbe().resolve(properties.accel());
        GuestImages images = new GuestImages(VmmProperties.defaults(QemuFixture.sharedImageDataDir()));
        StringBuilder out = new StringBuilder();
        try (VmmHost host = new VmmHost(properties, accel, images, new QemuLauncher(properties))) {
            out.append(String.format(Locale.ROOT, "Machine: %d CPU cores, %s, %s; accelerator %s.%n%n",
                    Runtime.getRuntime().availableProcessors(), cpuModel(), host.launcher().properties().qemuBinary(),
                    accel.accel()));
            out.append("| measurement | image | reps | median ms | p95 ms | ratio (median) |\n");
            out.append("|---|---|---|---|---|---|\n");
            List<GuestImage> list = new ArrayList<>(List.of(images.console()));
            if (withX) {
                list.add(images.xDesktop());
            }
            for (GuestImage image : list) {
                diskRows(out, host, image, reps);
            }
            for (GuestImage image : list) {
                boolean x = image.name().equals(GuestImages.X_DESKTOP);
                bootRows(out, host, image, x ? xReps : reps, x ? Frames::isXDesktop : Frames::isConsolePrompt,
                        x ? 250 : 50);
            }
        }
        System.out.println();
        System.out.println(out);
        deleteTree(dataDir);
    }

    private static void diskRows(StringBuilder out, VmmHost host, GuestImage image, int reps) throws IOException {
        Path dir = host.properties().dataDir().resolve("disk-bench");
        Files.createDirectories(dir);
        List<Double> linked = new ArrayList<>();
        List<Double> full = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
            Path overlay = dir.resolve("linked-" + i + ".qcow2");
            long t = System.nanoTime();
            Disks.createLinkedClone(host.properties().qemuImgBinary(), image.goldenDisk(), overlay);
            linked.add(ms(t));
            Path copy = dir.resolve("full-" + i + ".qcow2");
            t = System.nanoTime();
            Files.copy(image.goldenDisk(), copy);
            try (var channel = java.nio.channels.FileChannel.open(copy, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            full.add(ms(t));
            Files.delete(overlay);
            Files.delete(copy);
        }
        String size = String.format(Locale.ROOT, "%.0f MiB", Files.size(image.goldenDisk()) / 1048576.0);
        row(out, "linked clone (qemu-img create -b)", image.name(), linked, median(linked) / median(full), "linked / full");
        row(out, "full copy of golden.qcow2 (" + size + ", fsync)", image.name(), full, Double.NaN, "");
    }

    private static void bootRows(StringBuilder out, VmmHost host, GuestImage image, int reps,
            Predicate<BufferedImage> frame, long pollMs) {
        long t = System.nanoTime();
        Template template = host.instantClones().prepare(image);
        double prepare = ms(t);
        List<Double> cold = new ArrayList<>();
        List<Double> instant = new ArrayList<>();
        Duration timeout = Duration.ofMinutes(5);
        for (int i = 0; i < reps; i++) {
            String coldName = "cold-" + i;
            VmSpec spec = host.specFor(image.name(), coldName).build();
            t = System.nanoTime();
            try (QemuVm vm = host.start(spec)) {
                Frames.awaitFrame(vm, vm.runDir().resolve("frame.png"), frame, timeout, pollMs);
                cold.add(ms(t));
            }
            Disks.delete(spec.disk());
            String cloneName = "clone-" + i;
            t = System.nanoTime();
            try (QemuVm vm = host.startFromTemplate(template, cloneName, VmSpec.randomMac())) {
                Frames.awaitFrame(vm, vm.runDir().resolve("frame.png"), frame, timeout, pollMs);
                instant.add(ms(t));
            }
            System.err.printf(Locale.ROOT, "%s rep %d: cold %.0f ms, instant %.0f ms%n", image.name(), i,
                    cold.getLast(), instant.getLast());
        }
        row(out, "cold boot to first guest frame", image.name(), cold, Double.NaN, "");
        row(out, "instant clone to first guest frame (identity applied)", image.name(), instant,
                median(instant) / median(cold), "instant / cold");
        out.append(String.format(Locale.ROOT, "| template preparation (once; one boot + save %s MiB state) | %s | 1 | %.0f | | |%n",
                stateMiB(template), image.name(), prepare));
    }

    private static String stateMiB(Template template) {
        try {
            return String.format(Locale.ROOT, "%.0f", Files.size(template.stateFile()) / 1048576.0);
        } catch (IOException e) {
            return "?";
        }
    }

    private static void row(StringBuilder out, String what, String image, List<Double> values, double ratio,
            String ratioLabel) {
        out.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %s |%n", what, image, values.size(),
                median(values), p95(values),
                Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%s = %.3f", ratioLabel, ratio)));
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Nearest-rank p95. */
    static double p95(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(0.95 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    private static double ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
