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
 * a demo pool of real QEMU desktops and the gateway. Closing it stops every VM.
 */
public final class AtriumServer implements AutoCloseable {
    private final ConfigurableApplicationContext context;
    private final Path dataDir;
    private final int port;

    private AtriumServer(ConfigurableApplicationContext context, Path dataDir) {
        this.context = context;
        this.dataDir = dataDir;
        this.port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
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
        // Command-line arguments: they win over application.yml (builder "properties" would not).
        ConfigurableApplicationContext ctx = new SpringApplicationBuilder(AtriumApplication.class)
                .run("--server.port=0",
                        "--atrium.data-dir=" + dataDir,
                        "--atrium.vmm.data-dir=" + shared,
                        "--atrium.vmm.keep-vms-on-exit=false",
                        "--spring.datasource.url=jdbc:h2:mem:e2e;DB_CLOSE_DELAY=-1",
                        "--atrium.broker.demo.size=" + desktops,
                        "--atrium.broker.demo.image=console",
                        "--atrium.broker.ticket-ttl=" + ticketTtl,
                        // the image library's e2e test: a small disk limit, so its compression bomb is stopped soon
                        "--atrium.vmm.library.max-disk-size=400MB",
                        "--spring.main.banner-mode=off");
        return new AtriumServer(ctx, shared);
    }

    public String baseUrl() {
        return "http://localhost:" + port;
    }

    public int port() {
        return port;
    }

    /** The VMM host's data directory (images, library, run directories), shared by the test runs. */
    public Path vmmDataDir() {
        return dataDir;
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
    }
}
