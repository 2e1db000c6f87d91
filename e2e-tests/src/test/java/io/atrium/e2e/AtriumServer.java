package io.atrium.e2e;

import io.atrium.web.AtriumApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * The whole product in the test JVM: the Spring Boot app on a free port, with H2 in memory,
 * a demo pool of real QEMU desktops (the demo on explicitly, so the demo accounts exist) and the gateway, the broker
 * on a {@link TestClock}; a real OpenID Connect provider ({@link OidcProvider}) it logs in with; the test LDAP
 * server (from {@code ATRIUM_TEST_LDAP_URL}, which {@code .ci/test} starts) when there is one; and the gateway also
 * accepting WebSocket upgrades from {@link #otherOrigin()}, where a test serves a plain noVNC page. Closing it stops
 * every VM.
 */
public final class AtriumServer implements AutoCloseable {
    private final ConfigurableApplicationContext context;
    private final Path dataDir;
    private final int port;
    private final TestClock clock;
    private final OidcProvider oidc;
    private final int otherPort;

    private AtriumServer(ConfigurableApplicationContext context, Path dataDir, TestClock clock, OidcProvider oidc,
                         int otherPort) {
        this.context = context;
        this.dataDir = dataDir;
        this.port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        this.clock = clock;
        this.oidc = oidc;
        this.otherPort = otherPort;
    }

    /** The LDAP server of the test run ({@code .ci/test}'s {@code start_test_slapd}), if there is one. */
    public static java.util.Optional<String> ldapUrl() {
        String url = System.getenv("ATRIUM_TEST_LDAP_URL");
        return url == null || url.isBlank() ? java.util.Optional.empty() : java.util.Optional.of(url);
    }

    public static String ldapBase() {
        return System.getenv().getOrDefault("ATRIUM_TEST_LDAP_BASE", "dc=atrium,dc=test");
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Console tickets of the shared server live this long, so expiry can be tested quickly. */
    public static final java.time.Duration TICKET_TTL = java.time.Duration.ofSeconds(5);
    private static AtriumServer shared;

    /**
     * The one server all e2e test classes use (3 demo desktops), started on first use and
     * stopped, with every VM, when the test JVM exits.
     */
    public static synchronized AtriumServer shared() throws IOException {
        if (shared == null) {
            shared = start(3, TICKET_TTL.toSeconds() + "s");
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "atrium-e2e-stop"));
        }
        return shared;
    }

    /** Starts Atrium with {@code desktops} demo desktops and the given console ticket lifetime. */
    public static AtriumServer start(int desktops, String ticketTtl) throws IOException {
        Path dataDir = Files.createDirectories(Path.of("target", "e2e-data").toAbsolutePath());
        Path shared = Path.of(System.getProperty("user.home"), ".cache", "atrium", "test-data");
        int port = freePort();
        int otherPort = freePort();
        OidcProvider oidc = OidcProvider.start(freePort(), "http://localhost:" + port);
        TestClock clock = new TestClock();
        // Command-line arguments: they win over application.yml (builder "properties" would not).
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--server.port=" + port,
                "--atrium.data-dir=" + dataDir,
                "--atrium.vmm.data-dir=" + shared,
                "--atrium.vmm.keep-vms-on-exit=false",
                "--spring.datasource.url=jdbc:h2:mem:e2e;DB_CLOSE_DELAY=-1",
                "--atrium.broker.demo.enabled=true",
                "--atrium.broker.demo.size=" + desktops,
                "--atrium.broker.demo.image=console",
                "--atrium.broker.ticket-ttl=" + ticketTtl,
                "--atrium.gateway.allowed-origins=http://localhost:" + otherPort,
                "--spring.main.banner-mode=off"));
        args.addAll(oidc.atriumProperties());
        ldapUrl().ifPresent(url -> args.addAll(java.util.List.of(
                "--atrium.security.ldap.url=" + url + "/" + ldapBase(),
                // indexed: a plain comma-separated value would be split into a list at its commas
                "--atrium.security.ldap.user-dn-patterns[0]=uid={0},ou=people",
                "--atrium.security.ldap.group-search-base=ou=groups",
                "--atrium.security.ldap.group-search-filter=(member={0})",
                "--atrium.security.ldap.admin-groups=atrium-admins")));
        ConfigurableApplicationContext ctx = new SpringApplicationBuilder(AtriumApplication.class)
                .initializers(c -> c.getBeanFactory().registerSingleton("clock", clock))
                .run(args.toArray(String[]::new));
        return new AtriumServer(ctx, shared, clock, oidc, otherPort);
    }

    /** The broker's clock: move it forward instead of waiting. */
    public TestClock clock() {
        return clock;
    }

    public OidcProvider oidc() {
        return oidc;
    }

    /** Another origin on loopback (same site, another port) the gateway accepts upgrades from. */
    public int otherPort() {
        return otherPort;
    }

    public String otherOrigin() {
        return "http://localhost:" + otherPort;
    }

    public String baseUrl() {
        return "http://localhost:" + port;
    }

    public int port() {
        return port;
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    /** Copies the VMs' QEMU and serial logs into {@code target/qemu-logs/<name>}. */
    public Path keepVmLogs(String name) {
        Path target = Path.of("target", "qemu-logs", name).toAbsolutePath();
        Path run = dataDir.resolve("run");
        if (!Files.isDirectory(run)) {
            return target;
        }
        try (Stream<Path> files = Files.walk(run)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".log")).toList()) {
                Path to = target.resolve(run.relativize(f));
                Files.createDirectories(to.getParent());
                Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    @Override
    public void close() {
        context.close();
        oidc.close();
    }
}
