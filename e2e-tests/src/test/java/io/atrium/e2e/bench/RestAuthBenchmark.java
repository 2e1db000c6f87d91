package io.atrium.e2e.bench;

import io.atrium.broker.identity.ApiToken;
import io.atrium.broker.identity.TokenService;
import io.atrium.web.AtriumApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * REST calls per second with a personal access token against HTTP Basic, in the same run on the same server:
 * {@code GET /api/me/desktops} as a demo user, {@code --clients} concurrent clients for {@code --seconds} per round,
 * rounds alternating Basic / token so that warm-up and machine noise hit both alike. Basic checks the bcrypt hash of
 * the password on every call (cost 10, the delegating encoder's default); a token is one SHA-256 and an indexed
 * lookup. Both go through the brute-force guard's check and every authorization. Usage:
 * {@code RestAuthBenchmark [--clients 4] [--seconds 10] [--rounds 3] [--desktops 0] [--write docs/benchmarks.md]}.
 */
public final class RestAuthBenchmark {
    static final String SECTION = "## REST authentication: API token vs HTTP Basic";

    record Round(String mode, long calls, long errors, double seconds, double[] latenciesMs) {
        double perSecond() {
            return calls / seconds;
        }

        double percentile(double p) {
            if (latenciesMs.length == 0) {
                return Double.NaN;
            }
            double[] s = latenciesMs.clone();
            Arrays.sort(s);
            return s[Math.min(s.length - 1, (int) Math.ceil(p / 100 * s.length) - 1)];
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int clients = Integer.parseInt(opts.getOrDefault("clients", "4"));
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "10"));
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
        int desktops = Integer.parseInt(opts.getOrDefault("desktops", "0"));
        Path dataDir = Files.createDirectories(Path.of("target", "bench-data", "rest").toAbsolutePath());
        Path shared = Path.of(System.getProperty("user.home"), ".cache", "atrium", "test-data");
        ConfigurableApplicationContext ctx = new SpringApplicationBuilder(AtriumApplication.class).run(
                "--server.port=0", "--atrium.data-dir=" + dataDir, "--atrium.vmm.data-dir=" + shared,
                "--atrium.vmm.keep-vms-on-exit=false", "--spring.datasource.url=jdbc:h2:mem:bench-rest;DB_CLOSE_DELAY=-1",
                "--atrium.broker.demo.enabled=true", "--atrium.broker.demo.size=" + desktops,
                "--atrium.broker.demo.image=console", "--atrium.vmm.gpu.inventory=none",
                "--spring.main.banner-mode=off", "--logging.level.io.atrium=WARN");
        int port = Integer.parseInt(ctx.getEnvironment().getProperty("local.server.port"));
        String url = "http://localhost:" + port + "/api/me/desktops";
        String token = asAlice(() -> ctx.getBean(TokenService.class).create("bench", ApiToken.Scope.USER,
                Duration.ofDays(1)).value());
        String basic = "Basic " + Base64.getEncoder().encodeToString("alice:alice".getBytes(StandardCharsets.UTF_8));
        String bearer = "Bearer " + token;

        HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        // warm-up: JIT, connection pool, both paths
        measure(http, url, basic, clients, 3, "warm-up");
        measure(http, url, bearer, clients, 3, "warm-up");
        List<Round> basicRounds = new ArrayList<>();
        List<Round> tokenRounds = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            basicRounds.add(measure(http, url, basic, clients, seconds, "basic"));
            tokenRounds.add(measure(http, url, bearer, clients, seconds, "token"));
            System.out.printf(Locale.ROOT, "round %d: basic %.1f/s, token %.1f/s%n", r + 1,
                    basicRounds.getLast().perSecond(), tokenRounds.getLast().perSecond());
        }
        String md = markdown(basicRounds, tokenRounds, clients, seconds, rounds, desktops,
                System.getenv().getOrDefault("ATRIUM_BENCH_ARGS", String.join(" ", args)));
        System.out.println();
        System.out.println(md);
        if (opts.containsKey("write")) {
            writeSection(Path.of(opts.get("write")), md);
            System.out.println("wrote section to " + opts.get("write"));
        }
        ctx.close();
        System.exit(0);
    }

    static Round measure(HttpClient http, String url, String authorization, int clients, int seconds, String mode)
            throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<long[]>> results = new ArrayList<>();
            List<List<Double>> latencies = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                List<Double> mine = new ArrayList<>();
                latencies.add(mine);
                results.add(pool.submit(() -> {
                    long calls = 0;
                    long errors = 0;
                    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", authorization)
                            .GET().build();
                    while (System.nanoTime() < end) { // a bounded loop: stops at the round's end
                        long s = System.nanoTime();
                        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                        mine.add((System.nanoTime() - s) / 1e6);
                        if (r.statusCode() == 200) {
                            calls++;
                        } else {
                            errors++;
                        }
                    }
                    return new long[] {calls, errors};
                }));
            }
            long calls = 0;
            long errors = 0;
            for (Future<long[]> f : results) {
                long[] r = f.get();
                calls += r[0];
                errors += r[1];
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double[] all = latencies.stream().flatMap(List::stream).mapToDouble(Double::doubleValue).toArray();
            if (errors > 0) {
                throw new IllegalStateException(mode + ": " + errors + " calls did not answer 200");
            }
            return new Round(mode, calls, errors, elapsed, all);
        }
    }

    static String markdown(List<Round> basic, List<Round> token, int clients, int seconds, int rounds, int desktops,
                           String args) {
        double b = median(basic.stream().mapToDouble(Round::perSecond).toArray());
        double t = median(token.stream().mapToDouble(Round::perSecond).toArray());
        double bp50 = median(basic.stream().mapToDouble(r -> r.percentile(50)).toArray());
        double tp50 = median(token.stream().mapToDouble(r -> r.percentile(50)).toArray());
        double bp95 = median(basic.stream().mapToDouble(r -> r.percentile(95)).toArray());
        double tp95 = median(token.stream().mapToDouble(r -> r.percentile(95)).toArray());
        StringBuilder md = new StringBuilder();
        md.append(SECTION).append("\n\n");
        md.append("`GET /api/me/desktops` as a demo user with ").append(clients).append(" concurrent clients, ")
                .append(rounds).append(" rounds of ").append(seconds).append(" s per mode, alternating HTTP Basic and a ")
                .append("personal access token on the same server in the same run (after a warm-up of both); ")
                .append(desktops).append(" desktops running. Basic checks the password's bcrypt hash (cost 10) on ")
                .append("every call; a token is one SHA-256 and an indexed lookup of the token and its account. Both ")
                .append("pass the brute-force guard's check and the services' authorization; nothing is cached, so a ")
                .append("revoked token or a disabled account fails at its next call. Harness: ")
                .append("`io.atrium.e2e.bench.RestAuthBenchmark` (e2e test sources), run by `e2e-tests/bench-rest.sh ")
                .append(args).append("`.\n\n");
        md.append("| mode | calls/s (median of rounds) | p50 ms | p95 ms | per round |\n|---|---:|---:|---:|---|\n");
        md.append(String.format(Locale.ROOT, "| HTTP Basic (baseline) | %.1f | %.1f | %.1f | %s |%n", b, bp50, bp95,
                perRound(basic)));
        md.append(String.format(Locale.ROOT, "| API token | %.1f | %.1f | %.1f | %s |%n", t, tp50, tp95, perRound(token)));
        md.append(String.format(Locale.ROOT, "%nToken / Basic: **%.1f×** the calls per second (target: at least 10×). "
                + "Machine load while measured (1-minute load average at the end): %.1f on %d cores.%n", t / b,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors()));
        return md.toString();
    }

    private static String perRound(List<Round> rounds) {
        return String.join(", ", rounds.stream().map(r -> String.format(Locale.ROOT, "%.1f", r.perSecond())).toList());
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static <T> T asAlice(java.util.function.Supplier<T> body) {
        var c = SecurityContextHolder.createEmptyContext();
        c.setAuthentication(UsernamePasswordAuthenticationToken.authenticated("alice", null,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("GROUP_demo"))));
        SecurityContextHolder.setContext(c);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.clearContext();
        }
    }

    static void writeSection(Path file, String md) throws IOException {
        String doc = Files.readString(file);
        int start = doc.indexOf(SECTION + "\n");
        String out;
        if (start < 0) {
            out = doc.stripTrailing() + "\n\n" + md;
        } else {
            int next = doc.indexOf("\n## ", start + SECTION.length());
            out = doc.substring(0, start) + md + (next < 0 ? "" : "\n" + doc.substring(next + 1));
        }
        Files.writeString(file, out);
    }
}
