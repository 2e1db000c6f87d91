package io.atrium.vmm.qga;

import io.atrium.vmm.qmp.QmpFrameDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A scripted stand-in for qemu-ga on a unix socket (the edge the unit tests fake): accepts one
 * client, optionally greets it with stale bytes, reads its commands (0xFF bytes are counted and
 * dropped, as the agent's parser does) and answers each with what the handler for that command
 * returns (raw bytes, or {@code null} for no answer). {@code guest-sync-delimited} answers
 * {@code 0xFF} and the id by default; unknown commands get a {@code CommandNotFound} error.
 */
final class FakeQgaServer implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path socket;
    private final ServerSocketChannel server;
    private final Map<String, Function<JsonNode, byte[]>> handlers = new ConcurrentHashMap<>();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger delimiters = new AtomicInteger();
    private final Thread thread;
    private volatile byte[] greeting = new byte[0];
    private volatile SocketChannel client;

    FakeQgaServer(Path socket) throws IOException {
        this.socket = socket;
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        on("guest-sync-delimited", request -> concat(new byte[] {(byte) 0xFF},
                ("{\"return\": " + request.path("arguments").path("id").asLong() + "}\n").getBytes(StandardCharsets.UTF_8)));
        thread = Thread.ofPlatform().daemon().name("fake-qga").start(this::serve);
    }

    Path socket() {
        return socket;
    }

    /** Bytes written to the client as soon as it connects (stale output of an earlier session). */
    FakeQgaServer greetWith(byte[] stale) {
        greeting = stale;
        return this;
    }

    /** Answers {@code command} with what {@code handler} returns ({@code null}: no answer). */
    FakeQgaServer on(String command, Function<JsonNode, byte[]> handler) {
        handlers.put(command, handler);
        return this;
    }

    /** Every command received, in order. */
    List<JsonNode> requests() {
        return List.copyOf(requests);
    }

    /** The commands named {@code command} received, in order. */
    List<JsonNode> requests(String command) {
        return requests.stream().filter(r -> command.equals(r.path("execute").asString())).toList();
    }

    /** How many 0xFF bytes the client sent. */
    int delimitersReceived() {
        return delimiters.get();
    }

    /** Writes raw bytes to the connected client. */
    void send(byte[] bytes) throws IOException {
        SocketChannel c = client;
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            c.write(buffer);
        }
    }

    /** Closes the client's connection (as QEMU does when the VM exits). */
    void disconnect() throws IOException {
        client.close();
    }

    /** {@code {"return": <value>, "id": <the request's id>}}. */
    static byte[] ok(JsonNode request, String returnJson) {
        return ("{\"return\": " + returnJson + ", \"id\": " + JSON.writeValueAsString(request.get("id")) + "}\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** {@code {"error": {"class": ..., "desc": ...}, "id": <the request's id>}}. */
    static byte[] error(JsonNode request, String errorClass, String description) {
        return ("{\"error\": {\"class\": " + JSON.writeValueAsString(errorClass) + ", \"desc\": "
                + JSON.writeValueAsString(description) + "}, \"id\": " + JSON.writeValueAsString(request.get("id"))
                + "}\n").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private void serve() {
        try (SocketChannel c = server.accept()) {
            client = c;
            send(greeting);
            QmpFrameDecoder decoder = new QmpFrameDecoder();
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            while (c.read(buffer.clear()) >= 0) {
                byte[] data = buffer.array();
                int start = 0;
                for (int i = 0; i <= buffer.position(); i++) {
                    if (i == buffer.position() || data[i] == (byte) 0xFF) {
                        for (byte[] frame : decoder.feed(data, start, i - start)) {
                            answer(JSON.readTree(frame));
                        }
                        if (i < buffer.position()) {
                            delimiters.incrementAndGet();
                        }
                        start = i + 1;
                    }
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void answer(JsonNode request) throws IOException {
        requests.add(request);
        String command = request.path("execute").asString();
        Function<JsonNode, byte[]> handler = handlers.get(command);
        byte[] reply = handler != null ? handler.apply(request)
                : error(request, "CommandNotFound", "The command " + command + " has not been found");
        if (reply != null) {
            send(reply);
        }
    }

    @Override
    public void close() throws IOException {
        SocketChannel c = client;
        if (c != null) {
            c.close();
        }
        server.close();
        thread.interrupt();
        Files.deleteIfExists(socket);
    }
}
