package io.atrium.vmm.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.vmm.VmmException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** QmpClient against a scripted fake QMP server on a unix socket. */
class QmpClientTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    private FakeQmpServer server;
    private QmpClient client;
    private final List<QmpEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void connect() throws Exception {
        server = new FakeQmpServer(dir.resolve("qmp.sock"));
        CompletableFuture<QmpClient> connecting = CompletableFuture.supplyAsync(
                () -> QmpClient.connect(dir.resolve("qmp.sock"), Duration.ofSeconds(5), events::add));
        server.accept();
        server.sendRaw("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
                + "\"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n");
        JsonNode negotiate = server.next();
        assertThat(negotiate.path("execute").asString()).isEqualTo("qmp_capabilities");
        server.reply(negotiate, "{}");
        client = connecting.get(5, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws IOException {
        if (client != null) {
            client.close();
        }
        server.close();
    }

    @Test
    void readsTheGreeting() {
        assertThat(client.qemuVersion()).isEqualTo("7.2.22");
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void matchesOutOfOrderRepliesByIdAndDeliversEvents() throws Exception {
        CompletableFuture<JsonNode> status = client.executeAsync("query-status", null, Duration.ofSeconds(5));
        CompletableFuture<JsonNode> name = client.executeAsync("query-name", Map.of("x", 1), Duration.ofSeconds(5));
        JsonNode first = server.next();
        JsonNode second = server.next();
        assertThat(first.path("id").asString()).isNotEqualTo(second.path("id").asString());
        assertThat(second.path("arguments").path("x").asInt()).isEqualTo(1);

        // reply to the second command first, with an event in between, in awkward chunks
        String replies = "{\"return\": {\"name\": \"vm1\"}, \"id\": " + JSON.writeValueAsString(second.get("id")) + "}\r\n"
                + "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 250000}, \"event\": \"STOP\"}\r\n"
                + "{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": "
                + JSON.writeValueAsString(first.get("id")) + "}\r\n";
        for (int i = 0; i < replies.length(); i += 7) {
            server.sendRaw(replies.substring(i, Math.min(replies.length(), i + 7)));
        }
        assertThat(name.get(5, TimeUnit.SECONDS).path("name").asString()).isEqualTo("vm1");
        assertThat(status.get(5, TimeUnit.SECONDS).path("status").asString()).isEqualTo("running");
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.event()).isEqualTo("STOP");
            assertThat(e.timestamp()).isEqualTo(Instant.ofEpochSecond(1700000000, 250_000_000));
            assertThat(e.data().isObject()).isTrue();
        });
    }

    @Test
    void errorReplyRaisesQmpErrorException() throws Exception {
        CompletableFuture<JsonNode> result = CompletableFuture.supplyAsync(() -> client.execute("screendump",
                Map.of("filename", "/nonexistent/x.png")));
        JsonNode command = server.next();
        server.sendRaw("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Could not open '/nonexistent/x.png'\"}, "
                + "\"id\": " + JSON.writeValueAsString(command.get("id")) + "}\r\n");
        assertThatThrownBy(() -> result.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(QmpErrorException.class, e -> {
                    assertThat(e.errorClass()).isEqualTo("GenericError");
                    assertThat(e.description()).isEqualTo("Could not open '/nonexistent/x.png'");
                    assertThat(e.command()).isEqualTo("screendump");
                })
                .isInstanceOf(VmmException.class);
    }

    @Test
    void missingReplyRaisesQmpTimeoutExceptionAndTheClientKeepsWorking() throws Exception {
        assertThatThrownBy(() -> client.execute("query-cpus-fast", null, Duration.ofMillis(200)))
                .isInstanceOf(QmpTimeoutException.class)
                .isInstanceOf(VmmException.class)
                .hasMessageContaining("query-cpus-fast");
        JsonNode late = server.next();
        server.reply(late, "[]"); // a late reply is dropped
        CompletableFuture<JsonNode> next = client.executeAsync("query-status", null, Duration.ofSeconds(5));
        server.reply(server.next(), "{\"status\": \"paused\"}");
        assertThat(next.get(5, TimeUnit.SECONDS).path("status").asString()).isEqualTo("paused");
    }

    @Test
    void connectionLossFailsPendingCommands() throws Exception {
        CompletableFuture<JsonNode> pending = client.executeAsync("query-status", null, Duration.ofSeconds(30));
        server.next();
        server.close();
        assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS))
                .cause().isExactlyInstanceOf(VmmException.class).hasMessageContaining("before the reply");
        client.onClose().get(5, TimeUnit.SECONDS);
        assertThat(client.isOpen()).isFalse();
        assertThatThrownBy(() -> client.execute("query-status")).isInstanceOf(VmmException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void closeFailsPendingCommands() {
        CompletableFuture<JsonNode> pending = client.executeAsync("query-status", null, Duration.ofSeconds(30));
        client.close();
        assertThatThrownBy(pending::join).cause().isExactlyInstanceOf(VmmException.class);
    }

    @Test
    void connectFailsClearlyWithoutServer() {
        assertThatThrownBy(() -> QmpClient.connect(dir.resolve("nothing.sock"), Duration.ofSeconds(1), null))
                .isInstanceOf(VmmException.class).hasMessageContaining("cannot connect");
    }

    /** A QMP server that the test scripts line by line. */
    static final class FakeQmpServer implements AutoCloseable {
        private final ServerSocketChannel server;
        private SocketChannel connection;
        private final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();

        FakeQmpServer(Path socket) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
        }

        void accept() throws IOException {
            connection = server.accept();
            Thread.ofVirtual().start(() -> {
                QmpFrameDecoder decoder = new QmpFrameDecoder();
                ByteBuffer buffer = ByteBuffer.allocate(4096);
                try {
                    while (connection.read(buffer.clear()) > 0) {
                        for (byte[] frame : decoder.feed(buffer.array(), 0, buffer.position())) {
                            received.add(JSON.readTree(frame));
                        }
                    }
                } catch (IOException ignored) {
                    // closed
                }
            });
        }

        JsonNode next() throws InterruptedException {
            JsonNode command = received.poll(5, TimeUnit.SECONDS);
            assertThat(command).as("command received by fake QMP server").isNotNull();
            return command;
        }

        void reply(JsonNode command, String returnJson) throws IOException {
            sendRaw("{\"return\": " + returnJson + ", \"id\": " + JSON.writeValueAsString(command.get("id")) + "}\r\n");
        }

        void sendRaw(String text) throws IOException {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                connection.write(bytes);
            }
        }

        @Override
        public void close() throws IOException {
            if (connection != null) {
                connection.close();
            }
            server.close();
        }
    }
}
