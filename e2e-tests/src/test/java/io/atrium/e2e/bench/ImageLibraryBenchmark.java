package io.atrium.e2e.bench;

import io.atrium.e2e.AtriumServer;
import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.library.DiskValidator;
import io.atrium.vmm.library.LibraryProperties;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.testing.DebianDiskImage;
import org.springframework.boot.json.JsonParserFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The image library's benchmark (a {@code main} program, not a test; not part of {@code .ci/test}). In one run, each
 * number next to a baseline measured in the same run:
 * <ol>
 *   <li><b>upload throughput</b>: an incompressible file streamed over loopback with the REST {@code PUT} into the
 *       host's staging file, against copying the same file on the same disk ({@code Files.copy}); the server's heap is
 *       sampled during the upload (the harness JVM runs with a heap smaller than the file, so holding it would fail);</li>
 *   <li><b>validation of a 2 GiB image</b> (a fully written qcow2): {@code DiskValidator.validate} (the Java header
 *       check, {@code qemu-img info} and {@code check} under prlimit) and the conversion, against plain
 *       {@code qemu-img info} + {@code check} of the same file;</li>
 *   <li><b>upload to ready</b> of the Debian test image (validation, seal in a draft machine through the guest agent,
 *       commit, boot test to the first real frame, template), against one cold boot of that version to its agent;</li>
 *   <li><b>rollout of a pool of N</b>: at log off with every desktop idle, and forced (every desktop in use, grace 0),
 *       against one refresh of one idle desktop.</li>
 * </ol>
 * Usage: {@code ImageLibraryBenchmark [--upload-mib 1024] [--pool 3] [--write docs/benchmarks.md]}.
 */
public final class ImageLibraryBenchmark {
    static final String SECTION = "## Image library";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static AtriumServer server;

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int uploadMib = Integer.parseInt(opts.getOrDefault("upload-mib", "1024"));
        int poolSize = Integer.parseInt(opts.getOrDefault("pool", "3"));
        Path work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "image-bench-");
        Map<String, String> rows = new LinkedHashMap<>();
        StringBuilder notes = new StringBuilder();
        try {
            // 2. validation first, before the server runs (nothing else on the machine)
            Path raw2g = random(work.resolve("2g.raw"), 2048);
            Path qcow2 = work.resolve("2g.qcow2");
            run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw2g.toString(), qcow2.toString());
            Files.delete(raw2g);
            DiskValidator validator = new DiskValidator("qemu-img", LibraryProperties.defaults());
            double plain = best(3, () -> {
                run("qemu-img", "info", "-f", "qcow2", "--output=json", qcow2.toString());
                run("qemu-img", "check", "-f", "qcow2", qcow2.toString());
            });
            double validate = best(3, () -> validator.validate(qcow2, DiskFormat.QCOW2));
            double convert = best(1, () -> {
                Path out = work.resolve("2g-out.qcow2");
                validator.convert(qcow2, DiskFormat.QCOW2, out);
                Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                Files.delete(out);
            });
            rows.put("validation of a 2 GiB qcow2 (Java header check + qemu-img info + check, prlimit)",
                    row(validate, plain, "plain `qemu-img info` + `check`", "≤ 5000 ms"));
            rows.put("validation + conversion to a 0444 qcow2 (2 GiB written)", row(validate + convert, plain,
                    "plain `qemu-img info` + `check`", ""));
            Files.delete(qcow2);

            server = AtriumServer.start(0, "30s");
            // 1. upload throughput, heap sampled
            Path file = random(work.resolve("upload.raw"), uploadMib);
            double copy = best(2, () -> {
                Path to = work.resolve("copy.raw");
                Files.copy(file, to, StandardCopyOption.REPLACE_EXISTING);
                try (var ch = java.nio.channels.FileChannel.open(to, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                Files.delete(to);
            });
            String imageId = (String) json(api("POST", "/api/images", "{\"name\":\"bench\"}")).get("id");
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            System.gc();
            long heapBefore = memory.getHeapMemoryUsage().getUsed();
            AtomicLong peak = new AtomicLong(heapBefore);
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = Thread.ofPlatform().start(() -> {
                while (sampling.get()) {
                    peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    sleep(20);
                }
            });
            long t0 = System.nanoTime();
            String raw = upload(imageId, file, "raw", false);
            double uploadMs = (System.nanoTime() - t0) / 1e6;
            sampling.set(false);
            sampler.join();
            long maxHeap = memory.getHeapMemoryUsage().getMax();
            double mbps = uploadMib * 1.048576 / (uploadMs / 1000);
            double copyMbps = uploadMib * 1.048576 / (copy / 1000);
            rows.put("upload throughput over loopback (REST PUT, " + uploadMib + " MiB)", String.format(Locale.ROOT,
                    "%.0f MB/s | %.0f MB/s (`Files.copy` on the same disk) | %.2f | ≥ 100 MB/s", mbps, copyMbps,
                    mbps / copyMbps));
            notes.append(String.format(Locale.ROOT, "- Heap during the %d MiB upload: %.0f MiB used before, %.0f MiB "
                            + "peak (sampled every 20 ms), JVM heap limit %.0f MiB: the upload is never held in memory "
                            + "(it is larger than the heap).%n", uploadMib, heapBefore / 1048576.0,
                    peak.get() / 1048576.0, maxHeap / 1048576.0));
            awaitNot(raw, "VALIDATING");
            Files.delete(file);

            // 3. upload to ready of the Debian test image
            Path v1 = DebianDiskImage.shared().qcow2(DebianDiskImage.V1);
            long t1 = System.nanoTime();
            String version1 = upload(imageId, v1, "qcow2", true);
            Map<String, Object> ready = await(version1, "READY");
            double toReady = (System.nanoTime() - t1) / 1e6;
            String log = api("GET", "/api/image-versions/" + version1 + "/log", null).body();
            double cold = coldBootToAgent(version1);
            rows.put("upload to ready, Debian test image (" + String.format(Locale.ROOT, "%.0f", Files.size(v1) / 1e6)
                            + " MB qcow2: validate, seal in a draft machine, commit, boot test, template)",
                    row(toReady, cold, "one cold boot of that version to its guest agent", ""));
            notes.append("- Upload to ready, its steps (from the version's log): ").append(steps(log)).append('\n');

            // 4. rollout of N at log off vs forced
            String v2 = upload(imageId, DebianDiskImage.shared().qcow2(DebianDiskImage.V2), "qcow2", true);
            var pool = api("POST", "/api/pools", """
                    {"name":"bench","kind":"POOLED","image":"bench","vcpus":1,"memoryMb":%d,"minSize":%d,"maxSize":%d,
                     "spares":0,"entitled":["group:demo"],"idleTimeout":"PT30M","disconnectGrace":"PT30M",
                     "maxSessionLength":"PT10H"}""".formatted(DebianDiskImage.MEMORY_MB, poolSize, poolSize));
            String poolId = (String) json(pool).get("id");
            awaitPoolReady(poolId, poolSize);
            await(v2, "READY");
            double refresh = refreshOne(poolId);
            double atLogoff = rollout(poolId, v2, "AT_LOGOFF");
            List<String> users = List.of("alice", "bob", "carol");
            for (int i = 0; i < poolSize; i++) {
                api(users.get(i % users.size()), "POST", "/api/me/pools/" + poolId + "/open", null);
            }
            double forced = rollout(poolId, version1, "FORCED");
            rows.put("rollout of a pool of " + poolSize + " at log off (every desktop idle, batches of " + poolSize
                    + ")", row(atLogoff, refresh, "refresh of one idle desktop", ""));
            rows.put("rollout of a pool of " + poolSize + " forced (every desktop in use, grace 0, batches of "
                    + poolSize + ")", row(forced, refresh, "refresh of one idle desktop", ""));
            notes.append("- Accelerator: ").append(server.bean(io.atrium.vmm.host.VmmHost.class).accelerator()
                    .reason()).append('\n');
        } finally {
            if (server != null) {
                server.close();
            }
            io.atrium.vmm.disk.DirectoryCache.deleteTree(work);
        }
        String md = markdown(rows, notes.toString(), String.join(" ", args));
        System.out.println();
        System.out.println(md);
        if (opts.containsKey("write")) {
            writeSection(Path.of(opts.get("write")), md);
        }
        System.exit(0);
    }

    // ------------------------------------------------------------------ measurements

    static double coldBootToAgent(String versionId) throws Exception {
        var host = server.bean(io.atrium.vmm.api.MachineHost.class);
        String name = "bench-cold";
        long t = System.nanoTime();
        host.start(new io.atrium.vmm.api.MachineSpec(name, "52:54:00:be:0c:01",
                new io.atrium.vmm.api.MachineSpec.ImageRef("bench", java.util.Optional.of(versionId)), 1,
                DebianDiskImage.MEMORY_MB, io.atrium.vmm.api.MachineSpec.DiskPolicy.FRESH,
                io.atrium.vmm.api.MachineSpec.BootMode.COLD_BOOT, io.atrium.vmm.api.MachineSpec.NetworkAttachment.ISOLATED,
                java.util.Optional.empty()));
        try (QgaClient qga = QgaClient.connect(server.vmmDataDir().resolve("run").resolve(name).resolve("qga.sock"),
                Duration.ofMinutes(4))) {
            qga.ping();
            return (System.nanoTime() - t) / 1e6;
        } finally {
            host.discard(name);
        }
    }

    static double refreshOne(String poolId) throws Exception {
        List<Object> desktops = JsonParserFactory.getJsonParser().parseList(api("GET", "/api/pools/" + poolId
                + "/desktops", null).body());
        @SuppressWarnings("unchecked")
        String id = (String) ((Map<String, Object>) desktops.getFirst()).get("id");
        long t = System.nanoTime();
        api("POST", "/api/desktops/" + id + "/actions/refresh", null);
        sleep(50);
        awaitPoolReady(poolId, desktops.size());
        return (System.nanoTime() - t) / 1e6;
    }

    static double rollout(String poolId, String version, String mode) throws Exception {
        long t = System.nanoTime();
        var r = api("POST", "/api/pools/" + poolId + "/image/publish", "{\"versionId\":\"" + version + "\",\"mode\":\""
                + mode + "\",\"graceSeconds\":0,\"batchSize\":100}");
        if (r.statusCode() != 200) {
            throw new IllegalStateException(r.body());
        }
        Instant end = Instant.now().plus(Duration.ofMinutes(10));
        while (Instant.now().isBefore(end)) {
            @SuppressWarnings("unchecked")
            Map<String, Object> rollout = (Map<String, Object>) json(api("GET", "/api/pools/" + poolId + "/image", null))
                    .get("rollout");
            if (rollout != null && !"RUNNING".equals(rollout.get("state"))) {
                if (!"DONE".equals(rollout.get("state"))) {
                    throw new IllegalStateException("rollout " + rollout);
                }
                return (System.nanoTime() - t) / 1e6;
            }
            sleep(50);
        }
        throw new IllegalStateException("rollout did not finish");
    }

    // ------------------------------------------------------------------ helpers

    static String upload(String imageId, Path file, String format, boolean autoSeal) throws Exception {
        var created = api("POST", "/api/images/" + imageId + "/versions", "{\"format\":\"" + format + "\",\"sizeBytes\":"
                + Files.size(file) + ",\"autoSeal\":" + autoSeal + "}");
        Map<String, Object> v = json(created);
        var put = HTTP.send(auth("admin", HttpRequest.newBuilder(URI.create(server.baseUrl() + v.get("uploadUrl"))))
                .PUT(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() != 200) {
            throw new IllegalStateException("upload: " + put.body());
        }
        return (String) v.get("id");
    }

    static Map<String, Object> await(String id, String state) throws Exception {
        Instant end = Instant.now().plus(Duration.ofMinutes(10));
        while (Instant.now().isBefore(end)) {
            Map<String, Object> v = json(api("GET", "/api/image-versions/" + id, null));
            if (state.equals(v.get("state"))) {
                return v;
            }
            if ("FAILED".equals(v.get("state"))) {
                throw new IllegalStateException(v + "\n" + api("GET", "/api/image-versions/" + id + "/log", null).body());
            }
            sleep(20);
        }
        throw new IllegalStateException(id + " not " + state);
    }

    static void awaitNot(String id, String state) throws Exception {
        while (state.equals(json(api("GET", "/api/image-versions/" + id, null)).get("state"))) {
            sleep(200);
        }
    }

    static void awaitPoolReady(String poolId, int n) throws Exception {
        Instant end = Instant.now().plus(Duration.ofMinutes(10));
        while (Instant.now().isBefore(end)) {
            List<Object> ds = JsonParserFactory.getJsonParser().parseList(api("GET", "/api/pools/" + poolId
                    + "/desktops", null).body());
            if (ds.size() == n && ds.stream().allMatch(d -> "READY".equals(((Map<?, ?>) d).get("state")))) {
                return;
            }
            sleep(20);
        }
        throw new IllegalStateException("pool not ready");
    }

    static String steps(String logJson) {
        List<String> out = new ArrayList<>();
        for (Object e : JsonParserFactory.getJsonParser().parseList(logJson)) {
            String m = (String) ((Map<?, ?>) e).get("message");
            if (m.startsWith("validated and converted") || m.startsWith("first real frame")
                    || m.startsWith("instant-clone template") || m.startsWith("flattened")) {
                out.add(m.length() > 140 ? m.substring(0, 140) + "…" : m);
            }
        }
        return String.join("; ", out);
    }

    interface Work {
        void run() throws Exception;
    }

    /** The best (lowest) wall time of {@code n} runs, in ms. */
    static double best(int n, Work work) throws Exception {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            work.run();
            best = Math.min(best, (System.nanoTime() - t) / 1e6);
        }
        return best;
    }

    static String row(double ms, double baseline, String baselineName, String target) {
        return String.format(Locale.ROOT, "%.0f ms | %.0f ms (%s) | %.2f | %s", ms, baseline, baselineName,
                ms / baseline, target);
    }

    static Path random(Path file, int mib) throws IOException {
        SecureRandom seedSource = new SecureRandom();
        java.util.SplittableRandom random = new java.util.SplittableRandom(seedSource.nextLong());
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                for (int j = 0; j < chunk.length; j += 8) {
                    long v = random.nextLong();
                    for (int k = 0; k < 8; k++) {
                        chunk[j + k] = (byte) (v >>> (8 * k));
                    }
                }
                out.write(chunk);
            }
        }
        return file;
    }

    static void run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed");
        }
    }

    static HttpResponse<String> api(String method, String path, String body) throws Exception {
        return api("admin", method, path, body);
    }

    static HttpResponse<String> api(String user, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = auth(user, HttpRequest.newBuilder(URI.create(server.baseUrl() + path)))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpRequest.Builder auth(String user, HttpRequest.Builder b) {
        return b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + user)
                .getBytes(StandardCharsets.UTF_8)));
    }

    static Map<String, Object> json(HttpResponse<String> r) {
        return JsonParserFactory.getJsonParser().parseMap(r.body());
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String markdown(Map<String, String> rows, String notes, String args) {
        StringBuilder md = new StringBuilder(SECTION).append("\n\n");
        md.append("Harness: `io.atrium.e2e.bench.ImageLibraryBenchmark` (e2e-tests test sources, a `main`, not a test), "
                + "run by `e2e-tests/bench-images.sh` on ").append(LocalDate.now()).append(" (").append(args.isBlank()
                ? "defaults" : "`" + args + "`").append("). The whole product runs in the harness JVM (heap limit "
                + "below the upload's size); every figure has a baseline measured in the same run, and the ratio is "
                + "figure / baseline.\n\n");
        md.append("| measurement | result | baseline (same run) | ratio | target |\n|---|---:|---:|---:|---|\n");
        rows.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        md.append('\n').append(notes);
        return md.toString();
    }

    static void writeSection(Path file, String md) throws IOException {
        String doc = Files.readString(file);
        int start = doc.indexOf(SECTION + "\n");
        String out;
        if (start < 0) {
            out = doc.stripTrailing() + "\n\n" + md;
        } else {
            int next = doc.indexOf("\n## ", start + SECTION.length());
            out = doc.substring(0, start) + md + (next < 0 ? "" : doc.substring(next + 1));
        }
        Files.writeString(file, out.stripTrailing() + "\n");
    }
}
