package io.atrium.broker;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses the test database. By default each Spring context gets its own H2 in-memory database
 * ({@code application.properties}). With {@code -Datrium.test.db=postgres} (the second surefire execution) each
 * context gets a fresh schema {@code t_<random>} in the PostgreSQL database at {@code ATRIUM_TEST_PG_URL}
 * (default {@code jdbc:postgresql://localhost:55432/atrium}, user/password {@code ATRIUM_TEST_PG_USER} /
 * {@code ATRIUM_TEST_PG_PASSWORD}, default atrium/atrium); the schemas are dropped when the JVM exits.
 * A test may set {@code atrium.test.schema} to share one schema between contexts (restart tests).
 * If PostgreSQL was asked for and cannot be reached, the context fails to start: never a silent skip.
 */
public class TestDatabase implements EnvironmentPostProcessor, Ordered {
    private static final Set<String> CREATED = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookAdded;

    public static boolean postgres() {
        return "postgres".equalsIgnoreCase(System.getProperty("atrium.test.db", ""));
    }

    public static String url() {
        return env("ATRIUM_TEST_PG_URL", "jdbc:postgresql://localhost:55432/atrium");
    }

    public static String user() {
        return env("ATRIUM_TEST_PG_USER", "atrium");
    }

    public static String password() {
        return env("ATRIUM_TEST_PG_PASSWORD", "atrium");
    }

    private static String env(String name, String dflt) {
        String v = System.getProperty(name, System.getenv(name));
        return v == null || v.isBlank() ? dflt : v;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!postgres()) {
            return;
        }
        String shared = environment.getProperty("atrium.test.schema");
        String schema = shared != null ? "t_" + shared.replaceAll("[^A-Za-z0-9_]", "_").toLowerCase()
                : "t_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        createSchema(schema);
        String url = url() + (url().contains("?") ? "&" : "?") + "currentSchema=" + schema;
        environment.getPropertySources().addFirst(new MapPropertySource("atrium-test-postgres", Map.of(
                "spring.datasource.url", url,
                "spring.datasource.username", user(),
                "spring.datasource.password", password(),
                "spring.datasource.driver-class-name", "org.postgresql.Driver")));
    }

    /** A JDBC connection to the test PostgreSQL database, or an IllegalStateException that says how to get one. */
    public static Connection connect() {
        try {
            return DriverManager.getConnection(url(), user(), password());
        } catch (SQLException e) {
            throw new IllegalStateException("The tests were asked to run on PostgreSQL (-Datrium.test.db=postgres) but "
                    + url() + " (user " + user() + ") cannot be reached: " + e.getMessage()
                    + ". Run .ci/test, or start a throwaway server with "
                    + "(source .ci/lib.sh; start_test_postgres; trap - EXIT) and export ATRIUM_TEST_PG_URL.", e);
        }
    }

    private static void createSchema(String schema) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test schema " + schema + ": " + e.getMessage(), e);
        }
        CREATED.add(schema);
        synchronized (TestDatabase.class) {
            if (!hookAdded) {
                hookAdded = true;
                Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(TestDatabase::dropSchemas));
            }
        }
    }

    private static void dropSchemas() {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("set lock_timeout = '5s'");
            for (String schema : CREATED) {
                try {
                    st.execute("drop schema if exists " + schema + " cascade");
                } catch (SQLException e) {
                    System.err.println("could not drop test schema " + schema + ": " + e.getMessage());
                }
            }
        } catch (SQLException | RuntimeException e) {
            System.err.println("could not drop test schemas " + CREATED + ": " + e.getMessage());
        }
    }

    /** After the config files are read (so that {@code atrium.test.schema} from a test is visible). */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
