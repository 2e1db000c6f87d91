package io.atrium.vmm.testing;

import com.sun.net.httpserver.HttpServer;
import io.atrium.vmm.network.NetworkProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * What desktop network tests need around Atrium, made by the test and removed again, so that no traffic goes
 * anywhere but loopback and the test's own namespaces:
 *
 * <ul>
 *   <li>a unique {@link #prefix()} for Atrium's namespaces, links and nftables table (and a transfer subnet of its
 *       own), so tests never touch another installation's;</li>
 *   <li>"the outside world": the namespace {@code <prefix>-out}, linked to the host by {@code <prefix>o}
 *       ({@value #UPLINK_HOST}/24 on the host, {@value #OUTSIDE}/24 inside), with a web server
 *       ({@code http://198.51.100.2/}: {@link #page()}; {@code /big}: {@link #BIG_BYTES} bytes) and a DNS server
 *       that knows {@code outside.test}; Atrium's NAT uplink is {@code <prefix>o};</li>
 *   <li>"the host's own service": an HTTP server on every host address (wildcard) whose hits are counted
 *       ({@link #hostServiceHits()}), standing in for Atrium's port, PostgreSQL and the like.</li>
 * </ul>
 * {@link #assertNoLeftovers(Path)} checks that nothing of Atrium's remains (namespaces, links, table, processes).
 */
public final class NetworkTestbed implements AutoCloseable {

    public static final String OUTSIDE = "198.51.100.2";
    public static final String UPLINK_HOST = "198.51.100.1";
    public static final String OUTSIDE_NAME = "outside.test";
    public static final int BIG_BYTES = 8 << 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String prefix;
    private final String page;
    private final String transfer;
    private final Path dir;
    private final List<Process> daemons = new ArrayList<>();
    private final AtomicInteger hostHits = new AtomicInteger();
    private HttpServer hostService;

    private NetworkTestbed(String prefix) throws IOException {
        this.prefix = prefix;
        this.page = "atrium-outside-" + Long.toHexString(RANDOM.nextLong());
        this.transfer = "169.254." + (192 + RANDOM.nextInt(40)) + "." + (64 * RANDOM.nextInt(4)) + "/26";
        this.dir = Files.createTempDirectory("atrium-outside-");
    }

    /**
     * Makes the outside namespace with its servers and the host service.
     *
     * @throws AssertionError if this process may not make desktop networks (not root, tools missing): these tests
     *     fail then, they never skip
     */
    public static NetworkTestbed start() {
        io.atrium.vmm.network.NetworkCapabilities can = io.atrium.vmm.network.NetworkCapabilities.probe();
        if (!can.nat() || !can.lab()) {
            throw new AssertionError("desktop network tests need root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and the packages "
                    + "iproute2 nftables procps vde2 dnsmasq-base: " + can.limitation());
        }
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder p = new StringBuilder("t");
        for (int i = 0; i < 4; i++) {
            p.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        try {
            NetworkTestbed bed = new NetworkTestbed(p.toString());
            try {
                bed.up();
            } catch (IOException | RuntimeException e) {
                bed.close();
                throw e;
            }
            return bed;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Atrium's network prefix for this test. */
    public String prefix() {
        return prefix;
    }

    /** Atrium's network settings for this test: the prefix, the uplink into the outside, its DNS server. */
    public NetworkProperties properties() {
        return new NetworkProperties(prefix, uplink(), transfer, List.of(OUTSIDE), Duration.ofSeconds(20));
    }

    /** The host end of the link into the outside namespace (Atrium's uplink in this test). */
    public String uplink() {
        return prefix + "o";
    }

    public String outsideNamespace() {
        return prefix + "-out";
    }

    /** The text of {@code http://198.51.100.2/} (unique per testbed). */
    public String page() {
        return page;
    }

    /** The outside web server's document root ({@code http://198.51.100.2/<file>}). */
    public Path wwwDir() {
        return dir.resolve("www");
    }

    /** The port of the host service (on every host address). */
    public int hostServicePort() {
        return hostService.getAddress().getPort();
    }

    /** How many requests reached the host service. */
    public int hostServiceHits() {
        return hostHits.get();
    }

    /** The host's own IPv4 addresses (every interface, the uplink's host end included). */
    public static List<String> hostAddresses() {
        String out = sh(List.of("ip", "-4", "-o", "addr", "show"));
        List<String> addresses = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals("inet")) {
                    String a = f[i + 1].substring(0, f[i + 1].indexOf('/'));
                    if (!a.startsWith("127.")) {
                        addresses.add(a);
                    }
                }
            }
        }
        return addresses;
    }

    private void up() throws IOException {
        String ns = outsideNamespace();
        sh(List.of("ip", "netns", "add", ns));
        sh(List.of("ip", "-n", ns, "link", "set", "lo", "up"));
        sh(List.of("ip", "link", "add", uplink(), "type", "veth", "peer", "name", "eth0", "netns", ns));
        sh(List.of("ip", "addr", "add", UPLINK_HOST + "/24", "dev", uplink()));
        sh(List.of("ip", "link", "set", uplink(), "up"));
        sh(List.of("ip", "-n", ns, "addr", "add", OUTSIDE + "/24", "dev", "eth0"));
        sh(List.of("ip", "-n", ns, "link", "set", "eth0", "up"));
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("index.html"), page + "\n");
        byte[] big = new byte[BIG_BYTES];
        RANDOM.nextBytes(big);
        Files.write(www.resolve("big"), big);
        daemons.add(daemon(List.of("ip", "netns", "exec", ns, "busybox", "httpd", "-f", "-p", OUTSIDE + ":80",
                "-h", www.toString())));
        daemons.add(daemon(List.of("ip", "netns", "exec", ns, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                "--pid-file=", "--listen-address=" + OUTSIDE, "--bind-interfaces", "--no-resolv", "--no-hosts",
                "--address=/" + OUTSIDE_NAME + "/" + OUTSIDE, "--user=root")));
        hostService = HttpServer.create(new InetSocketAddress("0.0.0.0", 0), 16);
        hostService.createContext("/", exchange -> {
            hostHits.incrementAndGet();
            byte[] body = "host-service\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        hostService.start();
        awaitListening(ns, OUTSIDE + ":80");
    }

    @Override
    public void close() {
        if (hostService != null) {
            hostService.stop(0);
        }
        for (Process p : daemons) {
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        execute(List.of("ip", "netns", "del", outsideNamespace()));
        execute(List.of("ip", "link", "del", uplink()));
        deleteTree(dir);
    }

    /**
     * Fails if anything of Atrium's networks with this prefix remains: namespaces, host links, the nftables table,
     * processes whose command line names {@code stateDir}, the NAT namespace's resolv.conf.
     */
    public void assertNoLeftovers(Path stateDir) {
        List<String> left = new ArrayList<>();
        for (String ns : sh(List.of("ip", "netns", "list")).split("\n")) {
            String name = ns.trim().split("\\s+")[0];
            if (name.startsWith(prefix + "-") && !name.equals(outsideNamespace())) {
                left.add("namespace " + name);
            }
        }
        try (Stream<Path> links = Files.list(Path.of("/sys/class/net"))) {
            links.map(l -> l.getFileName().toString()).filter(l -> l.startsWith(prefix) && !l.equals(uplink()))
                    .forEach(l -> left.add("link " + l));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (execute(List.of("nft", "list", "table", "inet", prefix + "_guard")) == 0) {
            left.add("nftables table inet " + prefix + "_guard");
        }
        ProcessHandle.allProcesses().forEach(p -> {
            String cmd = p.info().commandLine().orElse("");
            if (cmd.contains(stateDir.toString() + "/")) {
                left.add("process " + p.pid() + " " + cmd);
            }
        });
        if (Files.exists(Path.of("/etc/netns", prefix + "-nat"))) {
            left.add("/etc/netns/" + prefix + "-nat");
        }
        if (Files.exists(stateDir)) {
            left.add("state directory " + stateDir);
        }
        if (!left.isEmpty()) {
            throw new AssertionError("desktop networks left behind: " + left);
        }
    }

    private static void awaitListening(String ns, String address) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!sh(List.of("ip", "netns", "exec", ns, "ss", "-ltn")).contains(address)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the outside web server does not listen on " + address);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static Process daemon(List<String> argv) throws IOException {
        return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    static String sh(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int execute(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor(20, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
