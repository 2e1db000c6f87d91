package io.atrium.vmm.qga;

import static io.atrium.vmm.qga.FakeQgaServer.JSON;
import static io.atrium.vmm.qga.FakeQgaServer.bytes;
import static io.atrium.vmm.qga.FakeQgaServer.concat;
import static io.atrium.vmm.qga.FakeQgaServer.error;
import static io.atrium.vmm.qga.FakeQgaServer.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.atrium.vmm.VmmException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** QgaClient against a scripted fake qemu-ga on a unix socket. */
class QgaClientTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** Small enough to test the caps without megabytes: 4 KiB frames, 16 bytes of output, 1000-byte chunks. */
    private static final QgaLimits SMALL = new QgaLimits(4096, 16, 64, 1000);

    @TempDir
    Path dir;

    private FakeQgaServer server;
    private QgaClient client;

    @BeforeEach
    void startServer() throws Exception {
        server = new FakeQgaServer(dir.resolve("qga.sock"));
        server.on("guest-ping", r -> ok(r, "{}"));
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        server.close();
    }

    private QgaClient connect(QgaLimits limits) {
        client = QgaClient.connect(server.socket(), TIMEOUT, limits);
        return client;
    }

    private QgaClient connect() {
        return connect(QgaLimits.DEFAULTS);
    }

    // --- resynchronisation and matching ---------------------------------------------------------

    @Test
    void resynchronisesPastStaleBytesOfAnEarlierSession() {
        // an earlier client's reply, an earlier client's sync reply, and half a message
        server.greetWith(concat(bytes("{\"return\": {}, \"id\": \"old-7\"}\n"), new byte[] {(byte) 0xFF},
                bytes("{\"return\": 12345}\n{\"return\": {\"version\": \"1"), new byte[] {0, 1, 2, (byte) 0xFE}));

        connect().ping();

        assertThat(server.delimitersReceived()).isEqualTo(1);
        List<JsonNode> requests = server.requests();
        assertThat(requests).extracting(r -> r.path("execute").asString())
                .containsExactly("guest-sync-delimited", "guest-ping");
        long syncId = requests.getFirst().path("arguments").path("id").asLong();
        assertThat(syncId).isPositive().isNotEqualTo(12345);
        assertThat(requests.get(1).path("id").isString()).isTrue();
    }

    @Test
    void onlyTheReplyWithTheSyncIdEndsTheSync() {
        // a stale sync reply with another id arrives first, right before the real one
        server.on("guest-sync-delimited", r -> concat(new byte[] {(byte) 0xFF}, bytes("{\"return\": 1}\n"),
                new byte[] {(byte) 0xFF}, bytes("{\"return\": " + r.path("arguments").path("id").asLong() + "}\n")));

        // had the client taken the first reply, the second 0xFF would break the ping
        connect().ping();
        assertThat(server.requests("guest-sync-delimited")).hasSize(1);
    }

    @Test
    void repliesForOtherIdsAreDiscarded() {
        server.on("guest-info", r -> concat(
                bytes("{\"return\": {\"version\": \"0.0-stale\", \"supported_commands\": []}, \"id\": \"someone-else\"}\n"),
                ok(r, "{\"version\": \"7.2.19\", \"supported_commands\": [{\"name\": \"guest-exec\", \"enabled\": true,"
                        + " \"success-response\": true}, {\"name\": \"guest-fsfreeze-freeze\", \"enabled\": false}]}")));

        QgaInfo info = connect().info();

        assertThat(info.version()).isEqualTo("7.2.19");
        assertThat(info.supports("guest-exec")).isTrue();
        assertThat(info.supports("guest-fsfreeze-freeze")).isFalse();
    }

    @Test
    void anErrorReplyIsQgaErrorExceptionAndNeedsNoResync() {
        server.on("guest-get-host-name", r -> error(r, "GenericError", "no\u001b[31m host\nname"));
        connect();

        assertThatThrownBy(client::hostname)
                .isInstanceOfSatisfying(QgaErrorException.class, e -> {
                    assertThat(e.command()).isEqualTo("guest-get-host-name");
                    assertThat(e.errorClass()).isEqualTo("GenericError");
                    assertThat(e.description()).isEqualTo("no?[31m host?name");
                })
                .isInstanceOf(VmmException.class)
                .isNotInstanceOf(QgaTimeoutException.class);
        client.ping();
        assertThat(server.requests("guest-sync-delimited")).hasSize(1);
    }

    @Test
    void noReplyIsATimeoutAndTheLateReplyNeverAnswersTheNextCommand() throws Exception {
        AtomicReference<JsonNode> unanswered = new AtomicReference<>();
        server.on("guest-get-time", r -> {
            unanswered.set(r);
            return null;
        });
        connect();

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.execute("guest-get-time", null, Duration.ofMillis(300)))
                .isInstanceOfSatisfying(QgaTimeoutException.class, e -> {
                    assertThat(e.command()).isEqualTo("guest-get-time");
                    assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300));
                })
                .isNotInstanceOf(QgaUnavailableException.class)
                .hasMessageContaining("no reply within 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));

        // the late reply arrives; the client resynchronises first, so it is skipped
        server.send(ok(unanswered.get(), "1700000000000000000"));
        server.on("guest-get-time", r -> ok(r, "1800000000000000000"));
        assertThat(client.time()).isEqualTo(Instant.ofEpochSecond(1_800_000_000L));
        assertThat(server.requests("guest-sync-delimited")).hasSize(2);
    }

    @Test
    void nothingAnsweringTheSyncIsQgaUnavailableExceptionAfterResends() {
        server.on("guest-sync-delimited", r -> null);

        long start = System.nanoTime();
        assertThatThrownBy(() -> QgaClient.connect(server.socket(), Duration.ofMillis(1500)))
                .isInstanceOfSatisfying(QgaUnavailableException.class, e -> {
                    assertThat(e.socket()).isEqualTo(server.socket());
                    assertThat(e.timeout()).isEqualTo(Duration.ofMillis(1500));
                })
                .isInstanceOf(QgaTimeoutException.class)
                .hasMessageContaining("does not run qemu-ga");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isBetween(Duration.ofMillis(1400), Duration.ofSeconds(4));
        // one sync at once, one more after the first second
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(server.requests("guest-sync-delimited")).hasSize(2));
        assertThat(server.delimitersReceived()).isEqualTo(2);
    }

    @Test
    void aMissingSocketIsAConnectError() {
        assertThatThrownBy(() -> QgaClient.connect(dir.resolve("nope.sock"), TIMEOUT))
                .isExactlyInstanceOf(VmmException.class).hasMessageContaining("cannot connect");
    }

    @Test
    void aClosedConnectionFailsTheCommandWithoutWaitingForTheTimeout() throws Exception {
        server.on("guest-get-time", r -> null);
        connect();
        Thread.ofVirtual().start(() -> {
            await().until(() -> !server.requests("guest-get-time").isEmpty());
            try {
                server.disconnect();
            } catch (Exception ignored) {
                // the test fails below
            }
        });
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.execute("guest-get-time", null, Duration.ofSeconds(30)))
                .isExactlyInstanceOf(VmmException.class).hasMessageContaining("closed");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(client.isOpen()).isFalse();
        assertThatThrownBy(client::ping).isExactlyInstanceOf(VmmException.class).hasMessageContaining("closed");
    }

    // --- hostile replies --------------------------------------------------------------------------

    @Test
    void anOversizedReplyIsRefusedAndTheClientRecovers() {
        server.on("guest-get-host-name", r -> ok(r, "{\"host-name\": \"" + "x".repeat(10_000) + "\"}"));
        connect(SMALL);

        assertThatThrownBy(client::hostname)
                .isInstanceOf(QgaProtocolException.class).hasMessageContaining("larger than 4096");
        client.ping();
        assertThat(server.requests("guest-sync-delimited")).hasSize(2);
    }

    @Test
    void bytesThatAreNotJsonAreAProtocolErrorAndTheClientRecovers() {
        server.on("guest-get-time", r -> bytes("this is not json\n"));
        connect();

        assertThatThrownBy(client::time).isInstanceOf(QgaProtocolException.class);
        client.ping();
        assertThat(server.requests("guest-sync-delimited")).hasSize(2);
    }

    @Test
    void missingOrWrongTypedFieldsAreProtocolErrors() {
        AtomicReference<String> hostReply = new AtomicReference<>();
        server.on("guest-get-host-name", r -> ok(r, hostReply.get()));
        server.on("guest-get-time", r -> ok(r, "\"soon\""));
        server.on("guest-info", r -> ok(r, "{\"supported_commands\": []}"));
        server.on("guest-network-get-interfaces", r -> ok(r, "{\"eth0\": 1}"));
        server.on("guest-ping", r -> bytes("{\"id\": " + JSON.writeValueAsString(r.get("id")) + "}\n"));
        connect();

        for (String reply : List.of("{}", "{\"host-name\": 7}", "{\"host-name\": \"evil\\u0000name\"}", "[]", "\"x\"",
                "{\"host-name\": \"\"}")) {
            hostReply.set(reply);
            assertThatThrownBy(client::hostname).as(reply).isInstanceOf(QgaProtocolException.class);
        }
        assertThatThrownBy(client::time).isInstanceOf(QgaProtocolException.class).hasMessageContaining("integer");
        assertThatThrownBy(client::info).isInstanceOf(QgaProtocolException.class).hasMessageContaining("version");
        assertThatThrownBy(client::networkInterfaces).isInstanceOf(QgaProtocolException.class)
                .hasMessageContaining("not a list");
        assertThatThrownBy(client::ping).isInstanceOf(QgaProtocolException.class)
                .hasMessageContaining("neither return nor error");
        hostReply.set("{\"host-name\": \"desk-7\"}");
        assertThat(client.hostname()).isEqualTo("desk-7");
    }

    @Test
    void networkInterfacesKeepOnlyWhatPassesTheChecks() throws Exception {
        server.on("guest-network-get-interfaces", r -> ok(r, """
                [{"name": "lo", "hardware-address": "00:00:00:00:00:00",
                  "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8},
                                   {"ip-address-type": "ipv6", "ip-address": "::1", "prefix": 128}]},
                 {"name": "enp0s2", "hardware-address": "52:54:00:AB:cd:01",
                  "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "10.0.2.15", "prefix": 24},
                                   {"ip-address-type": "ipv6", "ip-address": "fe80::5054:ff:feab:cd01", "prefix": 64},
                                   {"ip-address-type": "ipv4", "ip-address": "evil.example.com", "prefix": 24},
                                   {"ip-address-type": "ipv4", "ip-address": "10.0.2.300", "prefix": 24},
                                   {"ip-address-type": "ipv6", "ip-address": "10.0.2.16", "prefix": 64},
                                   {"ip-address-type": "ipv4", "ip-address": "10.0.2.17", "prefix": 33},
                                   {"ip-address-type": "ipx", "ip-address": "1", "prefix": 1},
                                   "junk", {"ip-address": "10.0.2.18"}]},
                 {"name": "bad-mac", "hardware-address": "not a mac", "ip-addresses": "none"},
                 {"name": 5}, {"hardware-address": "52:54:00:00:00:01"}, "junk", {"name": "tab\\there"}]
                """));

        List<QgaNetworkInterface> interfaces = connect().networkInterfaces();

        assertThat(interfaces).extracting(QgaNetworkInterface::name).containsExactly("lo", "enp0s2", "bad-mac");
        QgaNetworkInterface nic = interfaces.get(1);
        assertThat(nic.macAddress()).contains("52:54:00:ab:cd:01");
        assertThat(nic.addresses()).containsExactly(
                new QgaIpAddress(InetAddress.getByAddress(new byte[] {10, 0, 2, 15}), 24),
                new QgaIpAddress(InetAddress.getByName("fe80::5054:ff:feab:cd01"), 64));
        assertThat(nic.addresses().getFirst().isIpv4()).isTrue();
        assertThat(interfaces.get(0).addresses()).hasSize(2);
        assertThat(interfaces.get(2).macAddress()).isEmpty();
        assertThat(interfaces.get(2).addresses()).isEmpty();
    }

    // --- guest-exec ------------------------------------------------------------------------------

    @Test
    void execStartsWithCapturedOutputAndPollsUntilTheProcessExited() {
        AtomicInteger polls = new AtomicInteger();
        server.on("guest-exec", r -> ok(r, "{\"pid\": 4242}"));
        server.on("guest-exec-status", r -> {
            assertThat(r.path("arguments").path("pid").asLong()).isEqualTo(4242);
            return polls.incrementAndGet() < 3 ? ok(r, "{\"exited\": false}")
                    : ok(r, "{\"exited\": true, \"exitcode\": 3, \"out-data\": \"" + b64("hello\n")
                            + "\", \"err-data\": \"" + b64("warn") + "\"}");
        });

        QgaExecResult result = connect().exec(List.of("/bin/sh", "-c", "cat; exit 3"), bytes("input"),
                Duration.ofSeconds(10));

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.signal()).isZero();
        assertThat(result.succeeded()).isFalse();
        assertThat(result.stdoutText()).isEqualTo("hello\n");
        assertThat(result.stderrText()).isEqualTo("warn");
        assertThat(result.stdoutTruncated()).isFalse();
        assertThat(result.stderrTruncated()).isFalse();
        assertThat(result.toString()).doesNotContain("hello").contains("6 bytes");
        assertThat(polls).hasValue(3);
        JsonNode exec = server.requests("guest-exec").getFirst().path("arguments");
        assertThat(exec.path("path").asString()).isEqualTo("/bin/sh");
        assertThat(exec.path("arg").toString()).isEqualTo("[\"-c\",\"cat; exit 3\"]");
        assertThat(exec.path("capture-output").asBoolean()).isTrue();
        assertThat(exec.path("input-data").asString()).isEqualTo(b64("input"));
    }

    @Test
    void execOutputIsCappedAndFlaggedAndSignalsAreReported() {
        server.on("guest-exec", r -> ok(r, "{\"pid\": 7}"));
        server.on("guest-exec-status", r -> ok(r, "{\"exited\": true, \"signal\": 9, \"out-data\": \""
                + b64("0123456789abcdefXYZ") + "\", \"err-data\": \"" + b64("e") + "\", \"err-truncated\": true}"));

        QgaExecResult result = connect(SMALL).exec(List.of("yes"), Duration.ofSeconds(10));

        assertThat(result.signal()).isEqualTo(9);
        assertThat(result.exitCode()).isEqualTo(137);
        assertThat(result.stdoutText()).isEqualTo("0123456789abcdef");
        assertThat(result.stdoutTruncated()).isTrue();
        assertThat(result.stderrText()).isEqualTo("e");
        assertThat(result.stderrTruncated()).isTrue();
        assertThat(server.requests("guest-exec").getFirst().path("arguments").has("input-data")).isFalse();
    }

    @Test
    void execRefusesHostileStatusReplies() {
        AtomicReference<String> status = new AtomicReference<>();
        server.on("guest-exec", r -> ok(r, "{\"pid\": 7}"));
        server.on("guest-exec-status", r -> ok(r, status.get()));
        connect();
        for (String reply : List.of("{\"exited\": true}", "{\"exited\": \"yes\"}", "{\"exited\": true, \"exitcode\": 999}",
                "{\"exited\": true, \"exitcode\": 0, \"out-data\": \"!!not base64!!\"}",
                "{\"exited\": true, \"exitcode\": 0, \"out-data\": 5}", "[]")) {
            status.set(reply);
            assertThatThrownBy(() -> client.exec(List.of("true"), Duration.ofSeconds(5))).as(reply)
                    .isInstanceOf(QgaProtocolException.class);
        }
        server.on("guest-exec", r -> ok(r, "{\"pid\": -1}"));
        assertThatThrownBy(() -> client.exec(List.of("true"), Duration.ofSeconds(5)))
                .isInstanceOf(QgaProtocolException.class).hasMessageContaining("pid");
    }

    @Test
    void execThatOutlivesItsTimeoutIsATimeoutAndTheProcessIsKilled() {
        server.on("guest-exec", r -> ok(r, r.path("arguments").path("path").asString().equals("/bin/sh")
                ? "{\"pid\": 99}" : "{\"pid\": 42}"));
        server.on("guest-exec-status", r -> ok(r, r.path("arguments").path("pid").asLong() == 99
                ? "{\"exited\": true, \"exitcode\": 0}" : "{\"exited\": false}"));
        connect();

        assertThatThrownBy(() -> client.exec(List.of("sleep", "1000"), Duration.ofMillis(300)))
                .isInstanceOfSatisfying(QgaTimeoutException.class,
                        e -> assertThat(e.command()).isEqualTo("guest-exec"))
                .hasMessageContaining("'sleep' (pid 42) did not exit within 300 ms");
        List<JsonNode> execs = server.requests("guest-exec");
        assertThat(execs).hasSize(2);
        assertThat(execs.get(1).path("arguments").path("path").asString()).isEqualTo("/bin/sh");
        assertThat(execs.get(1).path("arguments").path("arg").toString()).contains("kill -KILL").contains("\"42\"");
    }

    @Test
    void execChecksItsArguments() {
        connect(SMALL);
        assertThatThrownBy(() -> client.exec(List.of(), TIMEOUT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.exec(List.of("a\0b"), TIMEOUT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.exec(List.of("cat"), new byte[65], TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit is 64");
        assertThat(server.requests("guest-exec")).isEmpty();
    }

    // --- time ----------------------------------------------------------------------------------------

    @Test
    void setTimeSendsNanosecondsAndTheRtcVariantSendsNoTime() {
        server.on("guest-set-time", r -> ok(r, "{}"));
        connect();

        client.setTime(Instant.ofEpochSecond(1_750_000_000L, 123_456_789));
        client.setTimeFromRtc();

        List<JsonNode> sets = server.requests("guest-set-time");
        assertThat(sets.get(0).path("arguments").path("time").asLong()).isEqualTo(1_750_000_000_123_456_789L);
        assertThat(sets.get(1).has("arguments")).isFalse();
        assertThatThrownBy(() -> client.setTime(Instant.ofEpochSecond(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    // --- files ---------------------------------------------------------------------------------------

    /** A guest file system of one file per path, served through guest-file-open/read/write/close. */
    private static final class GuestFiles {
        final java.util.Map<Long, ByteArrayOutputStream> written = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.Map<Long, byte[]> readable = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.Map<Long, Integer> positions = new java.util.concurrent.ConcurrentHashMap<>();
        final List<Long> closed = new CopyOnWriteArrayList<>();
        final List<Integer> chunkSizes = new CopyOnWriteArrayList<>();
        volatile byte[] content = new byte[0];
        final AtomicInteger handles = new AtomicInteger(1000);

        void install(FakeQgaServer server) {
            server.on("guest-file-open", r -> {
                long handle = handles.incrementAndGet();
                if (r.path("arguments").path("mode").asString().equals("w")) {
                    written.put(handle, new ByteArrayOutputStream());
                } else {
                    readable.put(handle, content);
                    positions.put(handle, 0);
                }
                return ok(r, Long.toString(handle));
            });
            server.on("guest-file-write", r -> {
                byte[] data = Base64.getDecoder().decode(r.path("arguments").path("buf-b64").asString());
                chunkSizes.add(data.length);
                written.get(r.path("arguments").path("handle").asLong()).writeBytes(data);
                return ok(r, "{\"count\": " + data.length + ", \"eof\": false}");
            });
            server.on("guest-file-read", r -> {
                long handle = r.path("arguments").path("handle").asLong();
                int count = r.path("arguments").path("count").asInt();
                byte[] file = readable.get(handle);
                int from = positions.get(handle);
                int to = Math.min(file.length, from + count);
                positions.put(handle, to);
                chunkSizes.add(count);
                byte[] data = Arrays.copyOfRange(file, from, to);
                return ok(r, "{\"count\": " + data.length + ", \"buf-b64\": \""
                        + Base64.getEncoder().encodeToString(data) + "\", \"eof\": " + (to == file.length) + "}");
            });
            server.on("guest-file-close", r -> {
                closed.add(r.path("arguments").path("handle").asLong());
                return ok(r, "{}");
            });
        }
    }

    @Test
    void writeFileStreamsBoundedChunksWithProgressAndClosesTheHandle() {
        GuestFiles files = new GuestFiles();
        files.install(server);
        byte[] data = random(2500);
        List<Long> progress = new ArrayList<>();

        long written = connect(SMALL).writeFile("/tmp/in.bin", new ByteArrayInputStream(data), 10_000, progress::add);

        assertThat(written).isEqualTo(2500);
        assertThat(progress).containsExactly(1000L, 2000L, 2500L);
        assertThat(files.chunkSizes).containsExactly(1000, 1000, 500);
        long handle = files.written.keySet().iterator().next();
        assertThat(files.written.get(handle).toByteArray()).isEqualTo(data);
        assertThat(files.closed).containsExactly(handle);
        JsonNode open = server.requests("guest-file-open").getFirst().path("arguments");
        assertThat(open.path("path").asString()).isEqualTo("/tmp/in.bin");
        assertThat(open.path("mode").asString()).isEqualTo("w");
    }

    @Test
    void writeFileSendsTheRestOfAPartlyWrittenChunk() {
        GuestFiles files = new GuestFiles();
        files.install(server);
        ByteArrayOutputStream guestFile = new ByteArrayOutputStream();
        AtomicInteger writes = new AtomicInteger();
        server.on("guest-file-write", r -> {
            byte[] data = Base64.getDecoder().decode(r.path("arguments").path("buf-b64").asString());
            // the first write takes only 100 bytes
            int taken = writes.getAndIncrement() == 0 ? 100 : data.length;
            guestFile.write(data, 0, taken);
            return ok(r, "{\"count\": " + taken + ", \"eof\": false}");
        });
        byte[] data = random(1500);

        assertThat(connect(SMALL).writeFile("/tmp/x", new ByteArrayInputStream(data), 1500, null)).isEqualTo(1500);

        assertThat(guestFile.toByteArray()).isEqualTo(data);
        assertThat(writes).hasValue(3);
    }

    @Test
    void writeFileStopsAtTheCapAndClosesTheHandle() {
        GuestFiles files = new GuestFiles();
        files.install(server);
        List<Long> progress = new ArrayList<>();

        assertThatThrownBy(() -> connect(SMALL).writeFile("/tmp/in.bin", new ByteArrayInputStream(random(2500)), 1500,
                progress::add))
                .isInstanceOfSatisfying(QgaTransferLimitException.class, e -> {
                    assertThat(e.limit()).isEqualTo(1500);
                    assertThat(e.guestPath()).isEqualTo("/tmp/in.bin");
                });

        assertThat(progress).containsExactly(1000L);
        assertThat(files.chunkSizes).containsExactly(1000);
        assertThat(files.closed).hasSize(1);
    }

    @Test
    void writeFileClosesTheHandleWhenAWriteFails() {
        GuestFiles files = new GuestFiles();
        files.install(server);
        server.on("guest-file-write", r -> error(r, "GenericError", "failed to write to file: No space left on device"));

        assertThatThrownBy(() -> connect(SMALL).writeFile("/tmp/in.bin", new ByteArrayInputStream(random(10)), 100, null))
                .isInstanceOf(QgaErrorException.class).hasMessageContaining("No space left");
        assertThat(files.closed).hasSize(1);
    }

    @Test
    void writeFileClosesTheHandleAfterATimeout() {
        GuestFiles files = new GuestFiles();
        files.install(server);
        server.on("guest-file-write", r -> null);
        client = QgaClient.connect(server.socket(), Duration.ofMillis(400), SMALL);

        assertThatThrownBy(() -> client.writeFile("/tmp/in.bin", new ByteArrayInputStream(random(10)), 100, null))
                .isInstanceOf(QgaTimeoutException.class);
        // the close went out after a resync
        assertThat(files.closed).hasSize(1);
        assertThat(server.requests("guest-sync-delimited")).hasSize(2);
    }

    @Test
    void writeFileRefusesACountLargerThanWhatWasSent() {
        GuestFiles files = new GuestFiles();
        files.install(server);
        server.on("guest-file-write", r -> ok(r, "{\"count\": 5000, \"eof\": false}"));

        assertThatThrownBy(() -> connect(SMALL).writeFile("/tmp/in.bin", new ByteArrayInputStream(random(10)), 100, null))
                .isInstanceOf(QgaProtocolException.class).hasMessageContaining("wrote 5000 of 10");
        assertThat(files.closed).hasSize(1);
    }

    @Test
    void readFileStreamsChunksUntilEofWithProgressAndClosesTheHandle() {
        GuestFiles files = new GuestFiles();
        files.content = random(2500);
        files.install(server);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Long> progress = new ArrayList<>();

        long read = connect(SMALL).readFile("/etc/data", out, 10_000, progress::add);

        assertThat(read).isEqualTo(2500);
        assertThat(out.toByteArray()).isEqualTo(files.content);
        assertThat(progress).containsExactly(1000L, 2000L, 2500L);
        assertThat(files.chunkSizes).allSatisfy(c -> assertThat(c).isLessThanOrEqualTo(1000));
        assertThat(files.closed).hasSize(1);
        assertThat(server.requests("guest-file-open").getFirst().path("arguments").path("mode").asString()).isEqualTo("r");
    }

    @Test
    void readFileOfExactlyTheCapSucceedsAndOneByteMoreFails() {
        GuestFiles files = new GuestFiles();
        files.content = random(2000);
        files.install(server);
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertThat(connect(SMALL).readFile("/f", out, 2000, null)).isEqualTo(2000);
        assertThat(out.toByteArray()).isEqualTo(files.content);

        files.content = random(2001);
        ByteArrayOutputStream capped = new ByteArrayOutputStream();
        assertThatThrownBy(() -> client.readFile("/f", capped, 2000, null))
                .isInstanceOf(QgaTransferLimitException.class).hasMessageContaining("2000 bytes");
        assertThat(capped.size()).isEqualTo(2000);
        assertThat(files.chunkSizes).allSatisfy(c -> assertThat(c).isLessThanOrEqualTo(1000));
        assertThat(files.closed).hasSize(2);
    }

    @Test
    void readFileRefusesMoreDataThanAskedForAndClosesTheHandle() {
        GuestFiles files = new GuestFiles();
        files.install(server);
        AtomicReference<String> reply = new AtomicReference<>();
        server.on("guest-file-read", r -> ok(r, reply.get()));
        connect(SMALL);
        byte[] big = random(1001);
        for (String hostile : List.of(
                "{\"count\": 1001, \"buf-b64\": \"" + Base64.getEncoder().encodeToString(big) + "\", \"eof\": true}",
                "{\"count\": 3, \"buf-b64\": \"" + b64("12345") + "\", \"eof\": true}",
                "{\"count\": 3, \"eof\": true}",
                "{\"buf-b64\": \"\", \"eof\": true}",
                "{\"count\": 3, \"buf-b64\": \"%%%%\", \"eof\": true}")) {
            reply.set(hostile);
            assertThatThrownBy(() -> client.readFile("/f", new ByteArrayOutputStream(), 1_000_000, null)).as(hostile)
                    .isInstanceOf(QgaProtocolException.class);
        }
        assertThat(files.closed).hasSize(5);
    }

    @Test
    void readFileGivesUpOnAFileThatNeverEnds() {
        GuestFiles files = new GuestFiles();
        files.install(server);
        server.on("guest-file-read", r -> ok(r, "{\"count\": 0, \"buf-b64\": \"\", \"eof\": false}"));

        assertThatThrownBy(() -> connect(SMALL).readFile("/dev/fifo", new ByteArrayOutputStream(), 100, null))
                .isInstanceOf(QgaProtocolException.class).hasMessageContaining("no data and no end of file");
        assertThat(files.closed).hasSize(1);
    }

    @Test
    void guestPathsAreChecked() {
        connect(SMALL);
        for (String path : List.of("relative/path", "/tmp/a\0b", "/tmp/new\nline", "")) {
            assertThatThrownBy(() -> client.writeFile(path, new ByteArrayInputStream(new byte[1]), 10, null))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> client.readFile(path, new ByteArrayOutputStream(), 10, null))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(server.requests("guest-file-open")).isEmpty();
    }

    @Test
    void limitsKeepAChunkInsideAFrame() {
        assertThatThrownBy(() -> new QgaLimits(4096, 1, 1, 4000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QgaLimits(1000, 1, 1, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new QgaLimits(4096, 1, 1, 2304).chunkBytes()).isEqualTo(2304);
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(bytes(text));
    }

    private static byte[] random(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }
}
