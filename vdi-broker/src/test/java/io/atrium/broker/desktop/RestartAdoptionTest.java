package io.atrium.broker.desktop;

import io.atrium.broker.pool.PoolService;
import io.atrium.brokertest.RealBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real QEMU: Atrium stops while desktops run (keep-vms-on-exit), starts again on the same database and data
 * directory, re-adopts the VMs (same desktop, same user, same pid, working VNC); then a QEMU is killed with SIGKILL
 * and its desktop is marked FAILED and replaced while the other desktop's VM is untouched.
 */
class RestartAdoptionTest {

    // Short and outside the checkout: QEMU's unix socket paths under it must stay below 108 bytes
    // wherever the repository is cloned.
    private final Path dir = Path.of(System.getProperty("java.io.tmpdir"), "atr-" + UUID.randomUUID().toString().substring(0, 8));
    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    private ConfigurableApplicationContext start() {
        var ctx = new SpringApplicationBuilder(RealBroker.class)
                .run("--spring.datasource.url=jdbc:h2:file:" + dir.resolve("db/atrium") + ";DB_CLOSE_ON_EXIT=FALSE",
                        "--atrium.test.schema=" + dir.getFileName().toString().replace('-', '_'),
                        "--atrium.vmm.data-dir=" + dir.resolve("vmm"),
                        "--atrium.vmm.keep-vms-on-exit=true",
                        "--atrium.broker.demo.size=2",
                        "--atrium.broker.recover-delay=1s",
                        "--spring.main.banner-mode=off");
        contexts.add(ctx);
        return ctx;
    }

    private long pid(Desktop d) throws IOException {
        return Long.parseLong(Files.readString(dir.resolve("vmm/run/" + d.name() + "/qemu.pid")).trim());
    }

    @AfterEach
    void killVms() throws IOException {
        contexts.forEach(ConfigurableApplicationContext::close);
        Path run = dir.resolve("vmm/run");
        if (Files.isDirectory(run)) {
            try (Stream<Path> dirs = Files.list(run)) {
                for (Path p : dirs.toList()) {
                    Path pidFile = p.resolve("qemu.pid");
                    if (Files.exists(pidFile)) {
                        ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim()))
                                .filter(h -> h.info().command().orElse("").contains("qemu"))
                                .ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            }
        }
        org.springframework.util.FileSystemUtils.deleteRecursively(dir);
    }

    @Test
    void desktopsSurviveARestartAndAKilledQemuIsReplaced() throws Exception {
        var first = start();
        var repo = first.getBean(DesktopRepository.class);
        String poolId = as("alice", () -> first.getBean(PoolService.class).myPools().getFirst().id());
        await().atMost(Duration.ofSeconds(120)).until(() -> repo.findByPool(poolId).stream()
                .filter(d -> d.state() == DesktopState.READY).count() == 2);
        Desktop mine = as("alice", () -> first.getBean(DesktopService.class).open(poolId));
        Desktop other = repo.findByPool(poolId).stream().filter(d -> !d.id().equals(mine.id())).findFirst().orElseThrow();
        long myPid = pid(mine);
        long otherPid = pid(other);

        first.close();
        assertThat(ProcessHandle.of(myPid).map(ProcessHandle::isAlive)).as("QEMU keeps running").contains(true);
        assertThat(ProcessHandle.of(otherPid).map(ProcessHandle::isAlive)).contains(true);

        var second = start();
        var repo2 = second.getBean(DesktopRepository.class);
        var service = second.getBean(DesktopService.class);
        Desktop after = repo2.findById(mine.id()).orElseThrow();
        assertThat(after.state()).isEqualTo(DesktopState.ASSIGNED);
        assertThat(after.assignedUser()).isEqualTo("alice");
        assertThat(pid(after)).isEqualTo(myPid);
        assertThat(as("alice", () -> service.open(poolId)).id()).isEqualTo(mine.id());
        assertThat(repo2.findById(other.id()).orElseThrow().state()).isEqualTo(DesktopState.READY);
        var console = service.consoleEndpoint(mine.id()).orElseThrow();
        assertThat(console.address()).startsWith(io.atrium.vmm.api.ConsoleEndpoint.UNIX);
        Path vnc = Path.of(console.address().substring(io.atrium.vmm.api.ConsoleEndpoint.UNIX.length()));
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(vnc))) {
            ByteBuffer hello = ByteBuffer.allocate(12);
            while (hello.hasRemaining() && ch.read(hello) >= 0) {
                // RFB server greeting
            }
            assertThat(new String(hello.array(), StandardCharsets.US_ASCII)).startsWith("RFB 003.");
        }

        ProcessHandle.of(myPid).orElseThrow().destroyForcibly();
        Set<DesktopState> seen = EnumSet.noneOf(DesktopState.class);
        // FAILED lasts only until the provisioner picks the desktop up again, so a poll may miss it; the desktop then
        // passes PROVISIONING and comes back READY, unassigned, with a new QEMU.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> {
            Desktop now = repo2.findById(mine.id()).orElseThrow();
            seen.add(now.state());
            return now.state() == DesktopState.READY && pid(now) != myPid;
        });
        assertThat(repo2.findById(mine.id()).orElseThrow().assignedUser()).isNull();
        assertThat(pid(repo2.findById(mine.id()).orElseThrow())).isNotEqualTo(myPid);
        assertThat(pid(other)).isEqualTo(otherPid);
        assertThat(ProcessHandle.of(otherPid).map(ProcessHandle::isAlive)).as("the other desktop is untouched").contains(true);
        assertThat(repo2.findById(other.id()).orElseThrow().state()).isEqualTo(DesktopState.READY);
    }
}
