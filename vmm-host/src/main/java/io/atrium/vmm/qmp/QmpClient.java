package io.atrium.vmm.qmp;

import io.atrium.vmm.VmmException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Client for the QEMU Machine Protocol over a unix socket.
 *
 * <p>Protocol handling: {@link #connect} reads the greeting and negotiates capabilities
 * ({@code qmp_capabilities}). Afterwards commands may be issued concurrently from any thread.
 * Every command is sent with a unique {@code id}; its reply is matched by that id to the command's
 * {@link CompletableFuture}, so replies may arrive in any order. A {@code return} reply completes
 * the future with the returned value; an {@code error} reply fails it with
 * {@link QmpErrorException}; no reply within the timeout fails it with
 * {@link QmpTimeoutException}. Messages with an {@code event} member are handed to the event
 * listeners. All socket reads happen on one dedicated reader thread; listeners are called on it
 * and must not block (in particular they must not wait for a QMP reply). When the connection ends,
 * by {@link #close()} or because QEMU went away, every pending command fails with
 * {@link VmmException}.
 */
public final class QmpClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QmpClient.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final SocketChannel channel;
    private final Path socket;
    private final Duration defaultTimeout;
    private final List<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Object writeLock = new Object();
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Thread reader;

    private record Pending(String command, CompletableFuture<JsonNode> future) {
    }

    private QmpClient(SocketChannel channel, Path socket, Duration defaultTimeout, Consumer<QmpEvent> listener) {
        this.channel = channel;
        this.socket = socket;
        this.defaultTimeout = defaultTimeout;
        if (listener != null) {
            listeners.add(listener);
        }
        this.reader = Thread.ofPlatform().daemon().name("qmp-reader-" + socket.getParent().getFileName())
                .unstarted(this::readLoop);
    }

    /**
     * Connects to a QMP unix socket, reads the greeting and enters command mode.
     *
     * @param socket the QMP socket ({@code runDir/qmp.sock})
     * @param defaultTimeout timeout of each command unless overridden per call; also bounds the
     *     greeting and capabilities negotiation
     * @param listener receives every event; may be {@code null}
     * @throws VmmException if the socket cannot be connected or negotiation fails or times out
     */
    public static QmpClient connect(Path socket, Duration defaultTimeout, Consumer<QmpEvent> listener) {
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(defaultTimeout, "defaultTimeout");
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new VmmException("cannot create unix socket: " + e.getMessage(), e);
        }
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            closeQuietly(channel);
            throw new VmmException("cannot connect to QMP socket " + socket + ": " + e.getMessage(), e);
        }
        QmpClient client = new QmpClient(channel, socket, defaultTimeout, listener);
        client.reader.start();
        try {
            client.greeting.get(defaultTimeout.toMillis(), TimeUnit.MILLISECONDS);
            client.execute("qmp_capabilities");
        } catch (TimeoutException e) {
            client.close();
            throw new QmpTimeoutException("greeting", defaultTimeout);
        } catch (ExecutionException e) {
            client.close();
            throw asVmmException(e.getCause(), "QMP negotiation on " + socket + " failed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.close();
            throw new VmmException("interrupted while connecting to " + socket, e);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
        return client;
    }

    /** The greeting QEMU sent ({@code {"QMP": {"version": ..., "capabilities": [...]}}}). */
    public JsonNode greeting() {
        return greeting.getNow(null);
    }

    /** QEMU version from the greeting, e.g. {@code 7.2.22}. */
    public String qemuVersion() {
        JsonNode v = greeting().path("QMP").path("version").path("qemu");
        return v.path("major").asInt() + "." + v.path("minor").asInt() + "." + v.path("micro").asInt();
    }

    public Path socket() {
        return socket;
    }

    public Duration defaultTimeout() {
        return defaultTimeout;
    }

    /** Runs a command without arguments, waiting up to the default timeout. */
    public JsonNode execute(String command) {
        return execute(command, null, defaultTimeout);
    }

    /** Runs a command, waiting up to the default timeout. */
    public JsonNode execute(String command, Map<String, ?> arguments) {
        return execute(command, arguments, defaultTimeout);
    }

    /**
     * Runs a command and returns its {@code return} value.
     *
     * @throws QmpErrorException if QEMU replied with an error
     * @throws QmpTimeoutException if no reply came within {@code timeout}
     * @throws VmmException if the connection is or becomes closed
     */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        try {
            return executeAsync(command, arguments, timeout).join();
        } catch (CompletionException e) {
            throw asVmmException(e.getCause(), "QMP command '" + command + "' failed");
        }
    }

    /**
     * Sends a command; the future completes with its {@code return} value, or exceptionally with
     * {@link QmpErrorException}, {@link QmpTimeoutException} or {@link VmmException}.
     */
    public CompletableFuture<JsonNode> executeAsync(String command, Map<String, ?> arguments, Duration timeout) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(timeout, "timeout");
        String id = Long.toString(ids.incrementAndGet());
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        if (closed.isDone()) {
            future.completeExceptionally(new VmmException("QMP connection " + socket + " is closed"));
            return future;
        }
        ObjectNode message = JSON.createObjectNode();
        message.put("execute", command);
        if (arguments != null && !arguments.isEmpty()) {
            message.set("arguments", JSON.valueToTree(arguments));
        }
        message.put("id", id);
        pending.put(id, new Pending(command, future));
        CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (pending.remove(id) != null) {
                future.completeExceptionally(new QmpTimeoutException(command, timeout));
            }
        });
        byte[] bytes = (JSON.writeValueAsString(message) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            synchronized (writeLock) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        } catch (IOException e) {
            pending.remove(id);
            future.completeExceptionally(new VmmException("cannot send QMP command '" + command + "' to "
                    + socket + ": " + e.getMessage(), e));
        }
        if (closed.isDone() && pending.remove(id) != null) {
            future.completeExceptionally(new VmmException("QMP connection " + socket + " is closed"));
        }
        return future;
    }

    public void addListener(Consumer<QmpEvent> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(Consumer<QmpEvent> listener) {
        listeners.remove(listener);
    }

    public boolean isOpen() {
        return !closed.isDone();
    }

    /** Completes when the connection has ended (closed locally or by QEMU). */
    public CompletableFuture<Void> onClose() {
        return closed.copy();
    }

    /** Closes the socket; pending commands fail with {@link VmmException}. Idempotent. */
    @Override
    public void close() {
        closeQuietly(channel);
        finish(null);
        if (Thread.currentThread() != reader) {
            try {
                reader.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void readLoop() {
        QmpFrameDecoder decoder = new QmpFrameDecoder();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        Throwable failure = null;
        try {
            while (true) {
                buffer.clear();
                int n = channel.read(buffer);
                if (n < 0) {
                    break;
                }
                for (byte[] frame : decoder.feed(buffer.array(), 0, n)) {
                    dispatch(frame);
                }
            }
        } catch (IOException e) {
            // QEMU exiting resets the connection: that ends it, like EOF
            log.debug("QMP connection {} ended: {}", socket, e.toString());
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            closeQuietly(channel);
            finish(failure);
        }
    }

    private void dispatch(byte[] frame) {
        JsonNode message;
        try {
            message = JSON.readTree(frame);
        } catch (JacksonException e) {
            throw new VmmException("QMP protocol error: invalid JSON from " + socket + ": " + e.getOriginalMessage(), e);
        }
        if (message.has("QMP")) {
            greeting.complete(message);
        } else if (message.has("event")) {
            JsonNode ts = message.path("timestamp");
            Instant timestamp = ts.isObject()
                    ? Instant.ofEpochSecond(ts.path("seconds").asLong(), ts.path("microseconds").asLong() * 1000)
                    : Instant.now();
            JsonNode data = message.has("data") ? message.get("data") : JSON.createObjectNode();
            QmpEvent event = new QmpEvent(message.path("event").asString(), data, timestamp);
            for (Consumer<QmpEvent> listener : listeners) {
                try {
                    listener.accept(event);
                } catch (RuntimeException e) {
                    log.warn("QMP event listener failed on {}", event.event(), e);
                }
            }
        } else if (message.has("return") || message.has("error")) {
            JsonNode idNode = message.get("id");
            Pending p = idNode == null ? null : pending.remove(idNode.asString());
            if (p == null) {
                log.warn("QMP reply on {} matches no pending command: {}", socket, message);
                return;
            }
            if (message.has("error")) {
                JsonNode error = message.get("error");
                p.future().completeExceptionally(new QmpErrorException(p.command(),
                        error.path("class").asString("GenericError"), error.path("desc").asString("")));
            } else {
                p.future().complete(message.get("return"));
            }
        } else {
            log.warn("unexpected QMP message on {}: {}", socket, message);
        }
    }

    private void finish(Throwable failure) {
        if (closed.isDone()) {
            return;
        }
        String reason = failure == null ? "closed" : "failed: " + failure.getMessage();
        if (failure != null) {
            log.warn("QMP connection {} {}", socket, reason);
        }
        VmmException error = new VmmException("QMP connection " + socket + " " + reason, failure);
        greeting.completeExceptionally(error);
        List<Pending> failed = new ArrayList<>();
        for (String id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                failed.add(p);
            }
        }
        closed.complete(null);
        for (Pending p : failed) {
            p.future().completeExceptionally(new VmmException("QMP connection " + socket + " " + reason
                    + " before the reply to '" + p.command() + "'", failure));
        }
    }

    private static VmmException asVmmException(Throwable cause, String context) {
        if (cause instanceof VmmException v) {
            return v;
        }
        return new VmmException(context + ": " + cause, cause);
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
