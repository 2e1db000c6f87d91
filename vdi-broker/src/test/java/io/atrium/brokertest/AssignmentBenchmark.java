package io.atrium.brokertest;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.TestDatabase;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.pool.PoolService;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static io.atrium.broker.TestUsers.as;

/**
 * Desktop assignment under load: 200 users press "Open" at once on a pool of 150 ready desktops (VMs faked), on H2
 * and, when reachable, PostgreSQL. Three strategies in the same run:
 * <ul>
 *   <li>{@code broker}: the production path, {@code DesktopService.open} (conditional UPDATE, no locks), concurrent;</li>
 *   <li>{@code sequential}: the same calls one after another (baseline for throughput);</li>
 *   <li>{@code select-for-update}: a naive strategy, concurrent: in one transaction
 *       {@code SELECT … WHERE state='READY' … LIMIT 1 FOR UPDATE}, then UPDATE (baseline for the lock-free design).</li>
 * </ul>
 * Run (see docs/benchmarks.md): {@code java -cp <test classpath> io.atrium.brokertest.AssignmentBenchmark [rounds]}.
 */
public final class AssignmentBenchmark {
    static final int POOL = 150;
    static final int USERS = 200;

    @Configuration(proxyBeanMethods = false)
    static class FakeVms {
        @Bean
        @Primary
        FakeMachineHost machines() {
            return new FakeMachineHost();
        }
    }

    record Result(String db, String strategy, int round, double[] latenciesMs, double wallMs, int assigned, int refused) {
        double pct(double p) {
            double[] s = latenciesMs.clone();
            Arrays.sort(s);
            return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)];
        }

        double throughput() {
            return USERS / (wallMs / 1000.0);
        }
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        List<String> dbs = new ArrayList<>(List.of("h2"));
        try (var c = TestDatabase.connect()) {
            dbs.add("postgres");
        } catch (RuntimeException e) {
            System.out.println("PostgreSQL not reachable (" + TestDatabase.url() + "): H2 only");
        }
        List<Result> results = new ArrayList<>();
        for (String db : dbs) {
            for (int round = 0; round <= rounds; round++) { // round 0 warms up and is not reported
                for (String strategy : List.of("broker", "sequential", "select-for-update")) {
                    Result r = run(db, strategy, round);
                    if (round > 0) {
                        results.add(r);
                    }
                }
            }
        }
        System.out.println();
        System.out.println("| db | strategy | assigned / refused | p50 ms | p95 ms | p99 ms | max ms | wall ms | opens/s |");
        System.out.println("|---|---|---|---:|---:|---:|---:|---:|---:|");
        for (String db : dbs) {
            for (String strategy : List.of("broker", "sequential", "select-for-update")) {
                List<Result> rs = results.stream().filter(r -> r.db.equals(db) && r.strategy.equals(strategy)).toList();
                System.out.printf(Locale.ROOT, "| %s | %s | %d / %d | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f |%n", db,
                        strategy, rs.getFirst().assigned, rs.getFirst().refused, median(rs, r -> r.pct(50)),
                        median(rs, r -> r.pct(95)), median(rs, r -> r.pct(99)), median(rs, r -> r.pct(100)),
                        median(rs, r -> r.wallMs), median(rs, Result::throughput));
            }
            double broker = median(results.stream().filter(r -> r.db.equals(db) && r.strategy.equals("broker")).toList(), Result::throughput);
            double seq = median(results.stream().filter(r -> r.db.equals(db) && r.strategy.equals("sequential")).toList(), Result::throughput);
            double lock = median(results.stream().filter(r -> r.db.equals(db) && r.strategy.equals("select-for-update")).toList(), Result::throughput);
            System.out.printf(Locale.ROOT, "%s: broker throughput = %.2f x sequential, %.2f x select-for-update%n",
                    db, broker / seq, broker / lock);
        }
        System.exit(0);
    }

    private static double median(List<Result> rs, java.util.function.ToDoubleFunction<Result> f) {
        double[] v = rs.stream().mapToDouble(f).sorted().toArray();
        return v[v.length / 2];
    }

    private static Result run(String db, String strategy, int round) throws Exception {
        if ("postgres".equals(db)) {
            System.setProperty("atrium.test.db", "postgres");
        } else {
            System.clearProperty("atrium.test.db");
        }
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(BrokerTestApplication.class, FakeVms.class)
                .run("--atrium.broker.demo.size=" + POOL, "--atrium.broker.recover-delay=50ms",
                        "--spring.main.banner-mode=off", "--logging.level.root=WARN", "--logging.level.io.atrium=WARN",
                        "--spring.datasource.hikari.maximum-pool-size=20")) {
            DesktopService desktops = ctx.getBean(DesktopService.class);
            JdbcClient jdbc = ctx.getBean(JdbcClient.class);
            TransactionTemplate tx = new TransactionTemplate(ctx.getBean(PlatformTransactionManager.class));
            String poolId = as("u0", () -> ctx.getBean(PoolService.class).myPools().getFirst().id());
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (jdbc.sql("select count(*) from desktop where pool_id = ? and state = ?")
                    .params(poolId, DesktopState.READY.name()).query(Integer.class).single() < POOL) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("pool not ready");
                }
                Thread.sleep(20);
            }
            double[] lat = new double[USERS];
            AtomicInteger won = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            Runnable[] calls = new Runnable[USERS];
            for (int i = 0; i < USERS; i++) {
                String user = "user" + i;
                int n = i;
                calls[i] = () -> {
                    long t0 = System.nanoTime();
                    boolean ok = switch (strategy) {
                        case "select-for-update" -> lockingOpen(jdbc, tx, poolId, user);
                        default -> {
                            try {
                                as(user, () -> desktops.open(poolId));
                                yield true;
                            } catch (BrokerException e) {
                                yield false;
                            }
                        }
                    };
                    lat[n] = (System.nanoTime() - t0) / 1e6;
                    (ok ? won : refused).incrementAndGet();
                };
            }
            long start;
            long end;
            if (strategy.equals("sequential")) {
                start = System.nanoTime();
                for (Runnable c : calls) {
                    c.run();
                }
                end = System.nanoTime();
            } else {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> fs = new ArrayList<>();
                try (ExecutorService pool = Executors.newFixedThreadPool(USERS)) {
                    for (Runnable c : calls) {
                        fs.add(pool.submit(() -> {
                            go.await();
                            c.run();
                            return null;
                        }));
                    }
                    Thread.sleep(200);
                    start = System.nanoTime();
                    go.countDown();
                    for (Future<?> f : fs) {
                        f.get();
                    }
                    end = System.nanoTime();
                }
            }
            if (won.get() != POOL || refused.get() != USERS - POOL) {
                throw new IllegalStateException(strategy + " on " + db + ": " + won + " assigned, " + refused + " refused");
            }
            Result r = new Result(db, strategy, round, lat, (end - start) / 1e6, won.get(), refused.get());
            System.out.printf(Locale.ROOT, "%s %s round %d: p50 %.1f ms, p99 %.1f ms, %.0f opens/s%n", db, strategy, round,
                    r.pct(50), r.pct(99), r.throughput());
            return r;
        }
    }

    /** The naive strategy: lock a READY row, then take it, in one transaction (no session bookkeeping). */
    private static boolean lockingOpen(JdbcClient jdbc, TransactionTemplate tx, String poolId, String user) {
        while (true) {
            Boolean took = lockingAttempt(jdbc, tx, poolId, user);
            if (took != null) {
                return took;
            }
        }
    }

    /** true: taken; false: none left; null: lost a race for the locked row (PostgreSQL skips it), try again. */
    private static Boolean lockingAttempt(JdbcClient jdbc, TransactionTemplate tx, String poolId, String user) {
        return tx.execute(status -> {
            var id = jdbc.sql("select id from desktop where pool_id = ? and state = 'READY' and assigned_user is null "
                    + "order by name limit 1 for update").param(poolId).query(String.class).optional();
            if (id.isEmpty()) {
                int left = jdbc.sql("select count(*) from desktop where pool_id = ? and state = 'READY' and assigned_user is null")
                        .param(poolId).query(Integer.class).single();
                return left == 0 ? Boolean.FALSE : null;
            }
            return jdbc.sql("update desktop set state = 'ASSIGNED', assigned_user = ?, version = version + 1 "
                    + "where id = ? and state = 'READY'").params(user, id.get()).update() == 1 ? Boolean.TRUE : null;
        });
    }
}
