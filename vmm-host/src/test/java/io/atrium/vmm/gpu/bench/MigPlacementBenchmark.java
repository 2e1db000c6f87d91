package io.atrium.vmm.gpu.bench;

import io.atrium.vmm.gpu.BestFitMigPolicy;
import io.atrium.vmm.gpu.FirstFitMigPolicy;
import io.atrium.vmm.gpu.GpuDevice;
import io.atrium.vmm.gpu.MigProfile;
import io.atrium.vmm.gpu.MigProfileTableParser;
import io.atrium.vmm.gpu.QueryGpuCsvParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Benchmark harness (not a test): replays one seeded trace of MIG requests and departures over several H100s,
 * built from the captured nvidia-smi output in {@code src/test/resources/nvidia-smi/h100-80gb-hbm3}, once with
 * {@link BestFitMigPolicy} and once with {@link FirstFitMigPolicy}, and prints a Markdown report.
 *
 * <p>Run from the repository root (the benchmark needs nothing but the module's own classes):
 * <pre>
 * ./mvnw -o -q -pl vmm-host test-compile
 * java -cp vmm-host/target/classes:vmm-host/target/test-classes io.atrium.vmm.gpu.bench.MigPlacementBenchmark \
 *     --seed 20260523 --ops 10000 --gpus 8 --write docs/benchmarks.md
 * </pre>
 * ({@code exec:java -Dexec.classpathScope=test -Dexec.mainClass=...} works too where the exec plugin can be
 * resolved; it is not in the offline repository.)
 * Options: {@code --seed N}, {@code --ops N}, {@code --gpus N}, {@code --target N} (mean live requests),
 * {@code --write FILE} (add or replace the "GPU slice placement" section of that Markdown file).
 */
public final class MigPlacementBenchmark {

    public static final long DEFAULT_SEED = 20260523L;
    public static final int DEFAULT_OPS = 10_000;
    public static final int DEFAULT_GPUS = 8;
    public static final int DEFAULT_TARGET = 22;

    static final String SECTION = "## GPU slice placement";
    private static final String FIXTURE = "/nvidia-smi/h100-80gb-hbm3/";

    private MigPlacementBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        long seed = DEFAULT_SEED;
        int ops = DEFAULT_OPS;
        int gpus = DEFAULT_GPUS;
        int target = DEFAULT_TARGET;
        Path write = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--seed" -> seed = Long.parseLong(require(args[i], value));
                case "--ops" -> ops = Integer.parseInt(require(args[i], value));
                case "--gpus" -> gpus = Integer.parseInt(require(args[i], value));
                case "--target" -> target = Integer.parseInt(require(args[i], value));
                case "--write" -> write = Path.of(require(args[i], value));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --seed, --ops, --gpus, --target, --write)");
            }
            i++;
        }
        List<GpuDevice> devices = h100s(gpus);
        MigTrace trace = MigTrace.generate(seed, ops, target, MigTrace.DEFAULT_MIX);
        long t0 = System.nanoTime();
        MigReplay.Result best = MigReplay.replay(trace, devices, new BestFitMigPolicy());
        long t1 = System.nanoTime();
        MigReplay.Result first = MigReplay.replay(trace, devices, new FirstFitMigPolicy());
        long t2 = System.nanoTime();
        String section = section(trace, gpus, best, first);
        System.out.println(section);
        System.out.printf(Locale.ROOT, "replay time: best-fit %.0f ms, first-fit %.0f ms%n",
                (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        if (write != null) {
            writeSection(write, section);
            System.out.println("wrote section to " + write.toAbsolutePath());
        }
    }

    private static String require(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    /** {@code n} simulated copies of GPU 0 of the H100 capture (test resources), with indexes 0..n-1. */
    public static List<GpuDevice> h100s(int n) {
        GpuDevice captured = QueryGpuCsvParser.parse(read("query.csv")).getFirst();
        List<MigProfile> profiles = MigProfileTableParser.parseProfiles(read("lgip.txt"), read("lgipp.txt"))
                .get(captured.index());
        List<GpuDevice> devices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String uuid = "GPU-" + UUID.nameUUIDFromBytes(("benchmark-h100:" + i).getBytes(StandardCharsets.UTF_8));
            devices.add(new GpuDevice(i, uuid, captured.name(), "", captured.memoryTotalMiB(), captured.migCurrent(),
                    captured.migPending(), captured.driverVersion(), "", "h100-80gb-hbm3", true, profiles));
        }
        return List.copyOf(devices);
    }

    private static String read(String file) {
        try (InputStream in = MigPlacementBenchmark.class.getResourceAsStream(FIXTURE + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + FIXTURE + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String section(MigTrace trace, int gpus, MigReplay.Result best, MigReplay.Result first) {
        String mix = trace.mix().entrySet().stream().map(e -> e.getKey() + " " + e.getValue() + "%")
                .collect(Collectors.joining(", "));
        StringBuilder s = new StringBuilder();
        s.append(SECTION).append("\n\n");
        s.append("MIG placement on ").append(gpus).append(" simulated H100 80GB HBM3 (profiles and placements parsed from ")
                .append("`vmm-host/src/test/resources/nvidia-smi/h100-80gb-hbm3`): one seeded trace of ")
                .append(trace.steps().size()).append(" allocate/free operations replayed identically against the ")
                .append("best-fit policy (`BestFitMigPolicy`) and plain first-fit (`FirstFitMigPolicy`).\n\n");
        s.append("- Seed: `").append(trace.seed()).append("`; demand mix: ").append(mix)
                .append("; about ").append(trace.target()).append(" requests live at a time (each step is an ")
                .append("arrival with probability target/(target+live), else a random live request departs; ")
                .append("refused requests depart as no-ops).\n");
        s.append("- Acceptance: share of requests that got a slice; memory-slice-weighted: the same weighted by ")
                .append("the memory slices each request asks for (a refused `7g.80gb` weighs 8, a `1g.10gb` 1).\n");
        s.append("- Stranded free memory (the fragmentation metric): after every step, over all GPUs together, the ")
                .append("free memory slices that the largest profile still placeable on their GPU cannot use, ")
                .append("divided by all free memory slices; averaged over the steps. Lower is better. A fully free ")
                .append("GPU strands nothing; a GPU whose free slices are scattered, or whose compute slices are ")
                .append("used up (7 compute, 8 memory slices on H100), strands them.\n");
        s.append("- Empty GPUs: GPUs holding nothing, the only place a `7g.80gb` fits; `4g.40gb` slots: `4g.40gb` ")
                .append("instances still placeable over all GPUs. Both averaged over the steps; higher is better.\n");
        s.append("- Refused with room: requests refused although some GPU had at least as many free memory ")
                .append("slices and free compute slices as the profile needs.\n");
        s.append("- Per-GPU fragmentation (previous metric, kept for comparison): per GPU with free memory slices, ")
                .append("1 − (memory slices of the largest profile still placeable) / (free memory slices), ")
                .append("averaged over those GPUs without weighting, then over the steps. It rated best-fit 6.5% ")
                .append("worse than first-fit because it is unweighted: a nearly full GPU whose single free memory ")
                .append("slice is unusable (e.g. slice 7 once all 7 compute slices are in use) scores 1.0, as much as ")
                .append("a GPU with many stranded slices, and packing, which is what best-fit does to keep other ")
                .append("GPUs whole, makes more such GPUs. Weighted by free memory (stranded free memory above) the ")
                .append("two policies strand the same share; best-fit's gain is that it keeps more whole GPUs and ")
                .append("`4g.40gb` blocks free, which is where its extra acceptances come from.\n\n");
        s.append("| metric | best-fit | first-fit | ratio best-fit / first-fit |\n");
        s.append("|---|---:|---:|---:|\n");
        row(s, "requests", best.requests(), first.requests());
        row(s, "accepted", best.accepted(), first.accepted());
        rowRate(s, "acceptance rate", best.acceptanceRate(), first.acceptanceRate());
        rowRate(s, "memory-slice-weighted acceptance", best.sliceAcceptanceRate(), first.sliceAcceptanceRate());
        row(s, "refused with room", best.refusedWithRoom(), first.refusedWithRoom());
        rowRate(s, "stranded free memory (mean share)", best.meanStrandedShare(), first.meanStrandedShare());
        rowRate(s, "empty GPUs (mean)", best.meanEmptyGpus(), first.meanEmptyGpus());
        rowRate(s, "4g.40gb slots still placeable (mean)", best.mean4gSlots(), first.mean4gSlots());
        rowRate(s, "per-GPU fragmentation (previous metric)", best.meanFragmentation(), first.meanFragmentation());
        s.append("\nAcceptance by profile (accepted / requested):\n\n");
        s.append("| profile | best-fit | first-fit |\n|---|---:|---:|\n");
        for (String profile : trace.mix().keySet()) {
            int[] b = best.byProfile().getOrDefault(profile, new int[2]);
            int[] f = first.byProfile().getOrDefault(profile, new int[2]);
            s.append(String.format(Locale.ROOT, "| %s | %d / %d (%.3f) | %d / %d (%.3f) |%n", profile, b[1], b[0],
                    b[0] == 0 ? 1.0 : (double) b[1] / b[0], f[1], f[0], f[0] == 0 ? 1.0 : (double) f[1] / f[0]));
        }
        String shown = "--seed " + trace.seed() + " --ops " + trace.steps().size() + " --gpus " + gpus
                + " --target " + trace.target();
        s.append("\nReproduce from the repository root (add `--write docs/benchmarks.md` to update this section):\n\n")
                .append("```\n./mvnw -o -q -pl vmm-host test-compile\n")
                .append("java -cp vmm-host/target/classes:vmm-host/target/test-classes \\\n")
                .append("    io.atrium.vmm.gpu.bench.MigPlacementBenchmark ").append(shown).append("\n```\n");
        return s.toString();
    }

    private static void row(StringBuilder s, String name, long best, long first) {
        s.append("| ").append(name).append(" | ").append(best).append(" | ").append(first).append(" | ")
                .append(first == 0 ? "–" : String.format(Locale.ROOT, "%.3f", (double) best / first)).append(" |\n");
    }

    private static void rowRate(StringBuilder s, String name, double best, double first) {
        s.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %s |%n", name, best, first,
                first == 0 ? "–" : String.format(Locale.ROOT, "%.3f", best / first)));
    }

    /** Adds the section to {@code file}, or replaces the existing one (up to the next level-2 heading). */
    static void writeSection(Path file, String section) throws IOException {
        String body = section.endsWith("\n") ? section : section + "\n";
        if (!Files.exists(file)) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, "# Benchmarks\n\n" + body, StandardCharsets.UTF_8);
            return;
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Files.writeString(file, replaceSection(text, body), StandardCharsets.UTF_8);
    }

    static String replaceSection(String text, String body) {
        List<String> lines = text.lines().toList();
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(SECTION)) {
                start = i;
                break;
            }
        }
        if (start < 0) {
            String sep = text.isEmpty() || text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n";
            return text + sep + body;
        }
        int end = lines.size();
        boolean inFence = false;
        for (int i = start + 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("```")) {
                inFence = !inFence;
            }
            if (!inFence && (line.startsWith("## ") || line.startsWith("# "))) {
                end = i;
                break;
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < start; i++) {
            out.append(lines.get(i)).append('\n');
        }
        out.append(body);
        if (end < lines.size()) {
            out.append('\n');
            for (int i = end; i < lines.size(); i++) {
                out.append(lines.get(i)).append('\n');
            }
        }
        return out.toString();
    }
}
