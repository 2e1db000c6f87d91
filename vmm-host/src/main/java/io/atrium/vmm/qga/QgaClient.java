package io.atrium.vmm.qga;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.qga.QgaStream.Delimiter;
import io.atrium.vmm.qga.QgaStream.Frame;
import io.atrium.vmm.qga.QgaStream.Garbage;
import io.atrium.vmm.qga.QgaStream.Item;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Client for the QEMU guest agent ({@code qemu-ga}) over the unix socket of the VM's guest agent
 * chardev ({@code runDir/qga.sock}, the virtio-serial port {@code org.qemu.guest_agent.0}).
 *
 * <pre>{@code
 * try (QgaClient qga = QgaClient.connect(vm.layout().qgaSocket(), Duration.ofSeconds(10))) {
 *     qga.setTime(Instant.now());                                  // after an instant-clone restore
 *     QgaExecResult r = qga.exec(List.of("uname", "-n"), Duration.ofSeconds(10));
 *     qga.writeFile("/tmp/in.bin", input, 64 << 20, sent -> {});   // chunked, capped
 * }
 * }</pre>
 *
 * <p><b>Protocol handling.</b> The agent speaks QMP's JSON commands but sends no greeting, and the
 * channel may hold stale bytes: replies meant for an earlier client, a half-written command of a
 * client that went away, output of an agent from before a guest restart. So {@link #connect}
 * resynchronises: it sends {@code 0xFF} (which resets the agent's JSON parser) and
 * {@code guest-sync-delimited} with a random id; the agent answers {@code 0xFF} followed by the id;
 * everything before a {@code 0xFF} is discarded and only the matching id ends the sync (an earlier
 * client's sync reply carries another id). Without an answer it sends again, with growing pauses,
 * until the timeout, then throws {@link QgaUnavailableException}: no agent runs in the guest.
 * Every command carries a unique {@code id} that the agent copies into its reply; replies with
 * another id are discarded (an error reply without an id, which the agent sends for a request it
 * could not parse, counts as the answer). One command runs at a time (the agent is sequential).
 *
 * <p><b>Failures.</b> An {@code error} reply raises {@link QgaErrorException}; no reply within the
 * command's timeout {@link QgaTimeoutException}; a reply the client refuses
 * {@link QgaProtocolException}; a connection that ended (QEMU exited) {@link VmmException}. After
 * a timeout or a protocol error the channel is resynchronised before the next command, so a late
 * reply never answers a later command.
 *
 * <p><b>The guest is untrusted.</b> Every reply is bounded by {@link QgaLimits#maxFrameBytes()}
 * (larger ones are refused and skipped); every field is checked for presence and type, required
 * ones raise {@link QgaProtocolException} (entries of lists that fail their checks are left out);
 * decoded output is capped ({@link QgaLimits#maxOutputBytes()}); strings from the guest that end up
 * in messages are cut and stripped of control characters; addresses are parsed as literals, never
 * resolved; guest paths are only ever sent to the guest, nothing the guest sends names a host file.
 * File transfers stream through bounded chunks and a caller-set byte cap, never holding a whole
 * file in memory, and always close the guest file handle. Nothing sent or received (file data,
 * process input or output) is logged.
 *
 * <p>Thread safe: calls are serialised. {@link #close()} may be called from any thread.
 */
public final class QgaClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QgaClient.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Entries taken from a list the guest sends (interfaces, addresses, commands). */
    static final int MAX_LIST = 256;
    /** Entries read from the agent's command list ({@code guest-info}; qemu-ga 7.2 has about 50). */
    static final int MAX_COMMANDS = 1024;
    /** Arguments of one guest process. */
    static final int MAX_ARGS = 4096;
    /** Longest guest path sent (Linux PATH_MAX). */
    static final int MAX_GUEST_PATH = 4096;
    /** Reads that return no data and no end of file before a read is given up. */
    static final int MAX_EMPTY_READS = 100;
    private static final Duration MAX_SYNC_RESEND = Duration.ofSeconds(8);
    private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");

    private final Path socket;
    private final Duration defaultTimeout;
    private final QgaLimits limits;
    private final QgaChannel channel;
    private final QgaStream stream;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    private final ReentrantLock lock = new ReentrantLock();
    private final String idPrefix;
    private long nextId;
    private boolean needsSync = true;
    private volatile boolean closed;

    private QgaClient(Path socket, Duration defaultTimeout, QgaLimits limits, QgaChannel channel) {
        this.socket = socket;
        this.defaultTimeout = defaultTimeout;
        this.limits = limits;
        this.channel = channel;
        this.stream = new QgaStream(limits.maxFrameBytes());
        byte[] random = new byte[6];
        RANDOM.nextBytes(random);
        this.idPrefix = "atrium-" + HexFormat.of().formatHex(random) + "-";
    }

    /** {@link #connect(Path, Duration, QgaLimits)} with {@link QgaLimits#DEFAULTS}. */
    public static QgaClient connect(Path socket, Duration timeout) {
        return connect(socket, timeout, QgaLimits.DEFAULTS);
    }

    /**
     * Connects to a guest agent channel and resynchronises it.
     *
     * @param socket the chardev's unix socket ({@code runDir/qga.sock})
     * @param timeout how long the agent has to answer the sync; also the default timeout of each
     *     command
     * @throws QgaUnavailableException if no agent answered within {@code timeout}
     * @throws VmmException if the socket cannot be connected (no VM, or one without the channel)
     */
    public static QgaClient connect(Path socket, Duration timeout, QgaLimits limits) {
        Objects.requireNonNull(socket, "socket");
        requirePositive(timeout);
        Objects.requireNonNull(limits, "limits");
        QgaChannel channel;
        try {
            channel = QgaChannel.open(socket);
        } catch (IOException e) {
            throw new VmmException("cannot connect to the guest agent socket " + socket + ": " + e.getMessage(), e);
        }
        QgaClient client = new QgaClient(socket, timeout, limits, channel);
        try {
            client.sync(timeout);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
        return client;
    }

    public Path socket() {
        return socket;
    }

    public Duration defaultTimeout() {
        return defaultTimeout;
    }

    public QgaLimits limits() {
        return limits;
    }

    public boolean isOpen() {
        return !closed && channel.isOpen();
    }

    /**
     * Resynchronises the channel now (see the class comment); {@link #connect} and the first
     * command after a timeout or protocol error do this by themselves.
     *
     * @throws QgaUnavailableException if the agent did not answer within {@code timeout}
     */
    public void sync(Duration timeout) {
        requirePositive(timeout);
        lock.lock();
        try {
            ensureOpen();
            resync(timeout);
        } catch (IOException e) {
            throw connectionFailed(e);
        } catch (ClosedSelectorException | CancelledKeyException e) {
            throw new VmmException("guest agent connection " + socket + " is closed");
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs a command and returns its {@code return} value, waiting up to the default timeout. The
     * value comes from the guest: check it like untrusted input.
     */
    public JsonNode execute(String command, Map<String, ?> arguments) {
        return execute(command, arguments, defaultTimeout);
    }

    /**
     * Runs a command and returns its {@code return} value (untrusted, like everything the guest
     * sends).
     *
     * @param arguments the command's arguments, or {@code null} for none
     * @throws QgaErrorException if the agent replied with an error
     * @throws QgaTimeoutException if no reply came within {@code timeout}
     * @throws QgaProtocolException if the reply is refused (too large, not JSON, neither return nor error)
     * @throws VmmException if the connection is or becomes closed
     */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        Objects.requireNonNull(command, "command");
        ObjectNode args = null;
        if (arguments != null) {
            JsonNode tree = JSON.valueToTree(arguments);
            args = (ObjectNode) tree;
        }
        return call(command, args, timeout);
    }

    /** {@code guest-ping}: the agent answers. */
    public void ping() {
        call("guest-ping", null, defaultTimeout);
    }

    /**
     * {@code guest-info}: the agent's version and the commands it has enabled. Of the command list,
     * the first {@value #MAX_COMMANDS} entries are read; entries that are not objects with a plain
     * name (at most 128 characters) are left out.
     */
    public QgaInfo info() {
        JsonNode reply = QgaJson.object(call("guest-info", null, defaultTimeout), "guest-info reply");
        String version = QgaJson.text(reply, "version", 64, "guest-info");
        if (!QgaJson.isPlain(version, 64)) {
            throw new QgaProtocolException("guest-info: the version is not plain text");
        }
        Set<String> enabled = new LinkedHashSet<>();
        JsonNode commands = reply.get("supported_commands");
        if (commands != null && !commands.isNull()) {
            if (!commands.isArray()) {
                throw new QgaProtocolException("guest-info: supported_commands is not a list");
            }
            for (int i = 0; i < Math.min(commands.size(), MAX_COMMANDS); i++) {
                JsonNode entry = commands.get(i);
                if (entry == null || !entry.isObject()) {
                    continue;
                }
                JsonNode name = entry.get("name");
                JsonNode on = entry.get("enabled");
                if (name != null && name.isString() && QgaJson.isPlain(name.stringValue(), 128)
                        && (on == null || (on.isBoolean() && on.booleanValue()))) {
                    enabled.add(name.stringValue());
                }
            }
        }
        return new QgaInfo(version, enabled);
    }

    /** {@link #exec(List, byte[], Duration)} without standard input. */
    public QgaExecResult exec(List<String> argv, Duration timeout) {
        return exec(argv, null, timeout);
    }

    /**
     * Runs a process in the guest ({@code guest-exec} with captured output, then
     * {@code guest-exec-status} polled until it exited) and returns its exit status and output.
     * The agent searches {@code PATH} for {@code argv[0]}; no shell is involved.
     *
     * @param argv the program and its arguments (no NUL characters; at most {@value #MAX_ARGS})
     * @param stdin standard input for the process (at most {@link QgaLimits#maxInputBytes()}), or
     *     {@code null} for none
     * @param timeout how long the process may run; each poll is a command with the default timeout
     * @throws QgaTimeoutException if the process did not exit in time (it is then killed in the
     *     guest, best effort)
     * @throws QgaErrorException if the agent refused to start it (e.g. no such program)
     */
    public QgaExecResult exec(List<String> argv, byte[] stdin, Duration timeout) {
        Objects.requireNonNull(argv, "argv");
        requirePositive(timeout);
        if (argv.isEmpty() || argv.size() > MAX_ARGS) {
            throw new IllegalArgumentException("argv must have 1.." + MAX_ARGS + " entries, has " + argv.size());
        }
        for (String arg : argv) {
            if (arg == null || arg.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("argv entries must be non-null and without NUL");
            }
        }
        if (argv.getFirst().isEmpty()) {
            throw new IllegalArgumentException("argv[0] is empty");
        }
        if (stdin != null && stdin.length > limits.maxInputBytes()) {
            throw new IllegalArgumentException("stdin is " + stdin.length + " bytes, the limit is "
                    + limits.maxInputBytes());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        ObjectNode args = JSON.createObjectNode();
        args.put("path", argv.getFirst());
        ArrayNode rest = args.putArray("arg");
        argv.subList(1, argv.size()).forEach(rest::add);
        args.put("capture-output", true);
        if (stdin != null) {
            args.put("input-data", Base64.getEncoder().encodeToString(stdin));
        }
        long pid = startedPid(call("guest-exec", args, defaultTimeout));
        long pause = 5;
        while (true) {
            JsonNode status = execStatus(pid);
            if (QgaJson.bool(status, "exited", false, "guest-exec-status")) {
                return execResult(status);
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                abandon(pid);
                throw new QgaTimeoutException("guest-exec", timeout, "guest process '"
                        + QgaJson.printable(argv.getFirst(), 128) + "' (pid " + pid + ") did not exit within "
                        + timeout.toMillis() + " ms; it was killed");
            }
            sleep(Math.min(pause, TimeUnit.NANOSECONDS.toMillis(remaining) + 1));
            pause = Math.min(pause * 2, 200);
        }
    }

    /**
     * {@code guest-set-time}: sets the guest's clock to {@code time} (nanoseconds since the epoch);
     * the agent then writes it to the RTC with {@code hwclock -w}. What an instant clone needs
     * after its restore: its clock is the template's.
     */
    public void setTime(Instant time) {
        Objects.requireNonNull(time, "time");
        if (time.isBefore(Instant.EPOCH)) {
            throw new IllegalArgumentException("time before 1970: " + time);
        }
        long nanos;
        try {
            nanos = Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000_000L), time.getNano());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("time out of range: " + time, e);
        }
        ObjectNode args = JSON.createObjectNode();
        args.put("time", nanos);
        call("guest-set-time", args, defaultTimeout);
    }

    /**
     * {@code guest-set-time} without a time: the guest sets its clock from its RTC
     * ({@code hwclock -s}). QEMU's RTC follows the host clock, also across a restore.
     */
    public void setTimeFromRtc() {
        call("guest-set-time", null, defaultTimeout);
    }

    /** {@code guest-get-time}: the guest's clock. */
    public Instant time() {
        JsonNode reply = call("guest-get-time", null, defaultTimeout);
        if (!reply.isIntegralNumber() || !reply.canConvertToLong()) {
            throw new QgaProtocolException("guest-get-time: the reply is not a 64-bit integer");
        }
        long nanos = reply.longValue();
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    /**
     * {@code guest-get-host-name} (agents from QEMU 5.0 on): the guest's host name, at most 255
     * characters without control characters (anything else is a {@link QgaProtocolException}).
     */
    public String hostname() {
        JsonNode reply = QgaJson.object(call("guest-get-host-name", null, defaultTimeout), "guest-get-host-name reply");
        String name = QgaJson.text(reply, "host-name", 255, "guest-get-host-name");
        if (!QgaJson.isPlain(name, 255)) {
            throw new QgaProtocolException("guest-get-host-name: the host name is empty or holds control characters");
        }
        return name;
    }

    /**
     * {@code guest-network-get-interfaces}: the guest's interfaces with MAC and IP addresses. Checked
     * entry by entry: an interface without a plain name (at most 64 characters) is left out, a MAC
     * that is not {@code xx:xx:xx:xx:xx:xx} is absent, an address that is not a literal of its
     * declared family with a prefix in range is left out; at most {@value #MAX_LIST} interfaces and
     * {@value #MAX_LIST} addresses each.
     */
    public List<QgaNetworkInterface> networkInterfaces() {
        JsonNode reply = call("guest-network-get-interfaces", null, defaultTimeout);
        if (!reply.isArray()) {
            throw new QgaProtocolException("guest-network-get-interfaces: the reply is not a list");
        }
        List<QgaNetworkInterface> interfaces = new ArrayList<>();
        for (int i = 0; i < Math.min(reply.size(), MAX_LIST); i++) {
            JsonNode entry = reply.get(i);
            if (entry == null || !entry.isObject()) {
                continue;
            }
            JsonNode name = entry.get("name");
            if (name == null || !name.isString() || !QgaJson.isPlain(name.stringValue(), 64)) {
                continue;
            }
            Optional<String> mac = Optional.empty();
            JsonNode hw = entry.get("hardware-address");
            if (hw != null && hw.isString() && hw.stringValue().length() == 17
                    && MAC.matcher(hw.stringValue().toLowerCase(Locale.ROOT)).matches()) {
                mac = Optional.of(hw.stringValue().toLowerCase(Locale.ROOT));
            }
            List<QgaIpAddress> addresses = new ArrayList<>();
            JsonNode ips = entry.get("ip-addresses");
            if (ips != null && ips.isArray()) {
                for (int j = 0; j < Math.min(ips.size(), MAX_LIST); j++) {
                    ipAddress(ips.get(j)).ifPresent(addresses::add);
                }
            }
            interfaces.add(new QgaNetworkInterface(name.stringValue(), mac, addresses));
        }
        return List.copyOf(interfaces);
    }

    /**
     * Writes {@code source} into the guest file {@code guestPath} (created or truncated), in chunks
     * of {@link QgaLimits#chunkBytes()} ({@code guest-file-open "w"}, {@code guest-file-write} base64,
     * {@code guest-file-close}). Only one chunk is in memory at a time. The guest handle is closed
     * whatever happens; after a failure the guest file is incomplete.
     *
     * @param guestPath absolute path in the guest (no NUL or control characters)
     * @param source read to its end; not closed
     * @param maxBytes the cap: a source with more bytes stops the transfer with
     *     {@link QgaTransferLimitException}
     * @param progress called with the bytes written so far after each chunk, or {@code null}
     * @return the number of bytes written
     */
    public long writeFile(String guestPath, InputStream source, long maxBytes, LongConsumer progress) {
        requireGuestPath(guestPath);
        Objects.requireNonNull(source, "source");
        requireCap(maxBytes);
        long handle = openFile(guestPath, "w");
        RuntimeException failure = null;
        try {
            byte[] chunk = new byte[limits.chunkBytes()];
            long total = 0;
            while (true) {
                int n = readChunk(source, chunk);
                if (n == 0) {
                    return total;
                }
                if (total + n > maxBytes) {
                    throw new QgaTransferLimitException(guestPath, maxBytes, "writing");
                }
                writeChunk(handle, chunk, n);
                total += n;
                if (progress != null) {
                    progress.accept(total);
                }
            }
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            closeFile(handle, failure);
        }
    }

    /**
     * Reads the guest file {@code guestPath} into {@code target} in chunks of
     * {@link QgaLimits#chunkBytes()} ({@code guest-file-open "r"}, {@code guest-file-read} until
     * {@code eof}, {@code guest-file-close}). Only one chunk is in memory at a time; each reply is
     * checked (its data must match its count, and never exceed what was asked for). The guest handle
     * is closed whatever happens.
     *
     * @param guestPath absolute path in the guest (no NUL or control characters)
     * @param target receives the bytes; not closed
     * @param maxBytes the cap: a larger file stops the transfer with {@link QgaTransferLimitException}
     *     (after at most {@code maxBytes} bytes went to {@code target})
     * @param progress called with the bytes read so far after each chunk, or {@code null}
     * @return the number of bytes read
     */
    public long readFile(String guestPath, OutputStream target, long maxBytes, LongConsumer progress) {
        requireGuestPath(guestPath);
        Objects.requireNonNull(target, "target");
        requireCap(maxBytes);
        long handle = openFile(guestPath, "r");
        RuntimeException failure = null;
        try {
            long total = 0;
            int empty = 0;
            while (true) {
                long room = maxBytes - total;
                // one byte over the cap is asked for near the cap, so that a larger file is noticed
                long want = room < limits.chunkBytes() ? room + 1 : limits.chunkBytes();
                QgaFileChunk chunk = readChunk(handle, (int) want);
                long count = chunk.data().length;
                boolean eof = chunk.eof();
                if (count > room) {
                    throw new QgaTransferLimitException(guestPath, maxBytes, "reading");
                }
                if (count > 0) {
                    try {
                        target.write(chunk.data());
                    } catch (IOException e) {
                        throw new VmmException("writing " + guestPath + " from the guest to the target failed: "
                                + e.getMessage(), e);
                    }
                    total += count;
                    empty = 0;
                    if (progress != null) {
                        progress.accept(total);
                    }
                } else if (!eof && ++empty > MAX_EMPTY_READS) {
                    throw new QgaProtocolException("guest-file-read of " + guestPath + " returned no data and no end "
                            + "of file " + MAX_EMPTY_READS + " times (not a regular file?)");
                }
                if (eof) {
                    return total;
                }
            }
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            closeFile(handle, failure);
        }
    }

    /**
     * Opens a guest file for a transfer made of separate calls ({@code guest-file-open}); the caller must
     * {@link #fileClose} it. {@link #writeFile} and {@link #readFile} do all of it in one call.
     *
     * @param guestPath absolute path in the guest (no NUL or control characters)
     * @param write {@code true} to create or truncate it for writing, {@code false} to read it
     * @return the guest's handle
     */
    public long fileOpen(String guestPath, boolean write) {
        requireGuestPath(guestPath);
        return openFile(guestPath, write ? "w" : "r");
    }

    /**
     * Writes {@code data} (at most {@link QgaLimits#chunkBytes()} bytes at a time, as many calls as needed) to a
     * handle from {@link #fileOpen}; returns once the guest took all of it.
     */
    public void fileWrite(long handle, byte[] data) {
        Objects.requireNonNull(data, "data");
        for (int offset = 0; offset < data.length; offset += limits.chunkBytes()) {
            int length = Math.min(limits.chunkBytes(), data.length - offset);
            writeChunk(handle, offset == 0 && length == data.length ? data
                    : Arrays.copyOfRange(data, offset, offset + length), length);
        }
    }

    /**
     * Reads up to {@code count} bytes (at most {@link QgaLimits#chunkBytes()}) from a handle from
     * {@link #fileOpen}; the reply is checked like {@link #readFile}'s.
     */
    public QgaFileChunk fileRead(long handle, int count) {
        if (count < 1 || count > limits.chunkBytes()) {
            throw new IllegalArgumentException("count must be 1.." + limits.chunkBytes() + ": " + count);
        }
        return readChunk(handle, count);
    }

    /** Closes a handle from {@link #fileOpen} ({@code guest-file-close}). */
    public void fileClose(long handle) {
        closeFile(handle, null);
    }

    /** Closes the socket. Idempotent; a command in progress fails with {@link VmmException}. */
    @Override
    public void close() {
        closed = true;
        channel.close();
    }

    @Override
    public String toString() {
        return "QgaClient[" + socket + "]";
    }

    // --- commands ------------------------------------------------------------------------------

    private JsonNode call(String command, ObjectNode arguments, Duration timeout) {
        requirePositive(timeout);
        lock.lock();
        try {
            ensureOpen();
            if (needsSync) {
                resync(timeout);
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            String id = idPrefix + (++nextId);
            ObjectNode message = JSON.createObjectNode();
            message.put("execute", command);
            if (arguments != null && !arguments.isEmpty()) {
                message.set("arguments", arguments);
            }
            message.put("id", id);
            byte[] bytes = (JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8);
            // until the reply is in, the stream is in an unknown state: resync if anything fails
            needsSync = true;
            if (!channel.write(ByteBuffer.wrap(bytes), deadline)) {
                throw new QgaTimeoutException(command, timeout);
            }
            while (true) {
                Item item = nextItem(deadline);
                if (item == null) {
                    throw new QgaTimeoutException(command, timeout);
                }
                switch (item) {
                    case Frame frame -> {
                        JsonNode reply = parse(frame.json(), command);
                        JsonNode replyId = reply.get("id");
                        boolean ours = replyId != null && replyId.isString() && replyId.stringValue().equals(id);
                        if (!ours && !(replyId == null && reply.has("error"))) {
                            log.debug("guest agent {}: discarding a reply that is not for '{}'", socket, command);
                            continue;
                        }
                        needsSync = !ours;
                        if (reply.has("error")) {
                            throw error(command, reply.get("error"));
                        }
                        JsonNode value = reply.get("return");
                        if (value == null) {
                            throw new QgaProtocolException("the reply to '" + command + "' has neither return nor error");
                        }
                        return value;
                    }
                    case Delimiter delimiter -> throw new QgaProtocolException(
                            "unexpected 0xFF delimiter while waiting for the reply to '" + command + "'");
                    case Garbage garbage -> throw new QgaProtocolException(garbage.reason()
                            + " (while waiting for the reply to '" + command + "')");
                }
            }
        } catch (IOException e) {
            throw connectionFailed(e);
        } catch (ClosedSelectorException | CancelledKeyException e) {
            throw new VmmException("guest agent connection " + socket + " is closed");
        } finally {
            lock.unlock();
        }
    }

    /** The next item of the stream, reading more as needed; {@code null} once the deadline passed. */
    private Item nextItem(long deadline) throws IOException {
        while (true) {
            Item item = stream.poll();
            if (item != null) {
                return item;
            }
            readBuffer.clear();
            int n = channel.read(readBuffer, deadline);
            if (n < 0) {
                close();
                throw new VmmException("guest agent connection " + socket + " closed by QEMU (the VM exited?)");
            }
            if (n == 0) {
                return null;
            }
            stream.feed(readBuffer.array(), 0, n);
        }
    }

    /**
     * Sends {@code 0xFF} and {@code guest-sync-delimited} with a random id until the agent answers
     * {@code 0xFF} and that id, resending after growing pauses (a sync sent before the agent opened
     * its port may be lost); only the latest sync's id counts, since every earlier sync's reply
     * precedes it.
     */
    private void resync(Duration timeout) throws IOException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long pause = Math.min(timeout.toNanos(), TimeUnit.SECONDS.toNanos(1));
        while (true) {
            long syncId = RANDOM.nextLong(1, Integer.MAX_VALUE);
            stream.discardUntilDelimiter();
            ObjectNode sync = JSON.createObjectNode();
            sync.put("execute", "guest-sync-delimited");
            sync.putObject("arguments").put("id", syncId);
            byte[] json = (JSON.writeValueAsString(sync) + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer bytes = ByteBuffer.allocate(json.length + 1).put(QgaStream.DELIMITER_BYTE).put(json).flip();
            if (!channel.write(bytes, deadline)) {
                throw new QgaUnavailableException(socket, timeout);
            }
            long attemptDeadline = Math.min(deadline, System.nanoTime() + pause);
            boolean afterDelimiter = false;
            Item item;
            while ((item = nextItem(attemptDeadline)) != null) {
                if (item instanceof Delimiter) {
                    afterDelimiter = true;
                } else if (afterDelimiter && item instanceof Frame frame && isSyncReply(frame, syncId)) {
                    needsSync = false;
                    log.debug("guest agent {} in sync after {} ms", socket,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    return;
                } else {
                    afterDelimiter = false;
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new QgaUnavailableException(socket, timeout);
            }
            pause = Math.min(pause * 2, MAX_SYNC_RESEND.toNanos());
        }
    }

    private static boolean isSyncReply(Frame frame, long syncId) {
        try {
            JsonNode reply = JSON.readTree(frame.json());
            JsonNode value = reply == null ? null : reply.get("return");
            return value != null && value.isIntegralNumber() && value.canConvertToLong() && value.longValue() == syncId;
        } catch (JacksonException e) {
            return false;
        }
    }

    private static JsonNode parse(byte[] frame, String command) {
        JsonNode reply;
        try {
            reply = JSON.readTree(frame);
        } catch (JacksonException e) {
            throw new QgaProtocolException("the reply to '" + command + "' is not valid JSON: "
                    + QgaJson.printable(String.valueOf(e.getOriginalMessage()), 200));
        }
        return QgaJson.object(reply, "the reply to '" + command + "'");
    }

    private static QgaErrorException error(String command, JsonNode error) {
        String errorClass = "GenericError";
        String description = "";
        if (error != null && error.isObject()) {
            JsonNode c = error.get("class");
            JsonNode d = error.get("desc");
            if (c != null && c.isString()) {
                errorClass = QgaJson.printable(c.stringValue(), 64);
            }
            if (d != null && d.isString()) {
                description = QgaJson.printable(d.stringValue(), QgaJson.MAX_TEXT);
            }
        }
        return new QgaErrorException(command, errorClass, description);
    }

    // --- guest-exec ------------------------------------------------------------------------------

    private static long startedPid(JsonNode reply) {
        long pid = QgaJson.integer(QgaJson.object(reply, "guest-exec reply"), "pid", "guest-exec");
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            throw new QgaProtocolException("guest-exec returned the pid " + pid);
        }
        return pid;
    }

    private JsonNode execStatus(long pid) {
        ObjectNode args = JSON.createObjectNode();
        args.put("pid", pid);
        return QgaJson.object(call("guest-exec-status", args, defaultTimeout), "guest-exec-status reply");
    }

    private QgaExecResult execResult(JsonNode status) {
        String what = "guest-exec-status";
        OptionalLong signal = QgaJson.optInteger(status, "signal", what);
        OptionalLong code = QgaJson.optInteger(status, "exitcode", what);
        int exitCode;
        int sig = 0;
        if (signal.isPresent()) {
            if (signal.getAsLong() < 1 || signal.getAsLong() > 127) {
                throw new QgaProtocolException(what + ": signal " + signal.getAsLong() + " is out of range");
            }
            sig = (int) signal.getAsLong();
            exitCode = 128 + sig;
        } else if (code.isPresent()) {
            if (code.getAsLong() < 0 || code.getAsLong() > 255) {
                throw new QgaProtocolException(what + ": exit code " + code.getAsLong() + " is out of range");
            }
            exitCode = (int) code.getAsLong();
        } else {
            throw new QgaProtocolException(what + ": an exited process without exitcode or signal");
        }
        QgaJson.Decoded out = output(status, "out-data");
        QgaJson.Decoded err = output(status, "err-data");
        return new QgaExecResult(exitCode, sig, out.bytes(), err.bytes(),
                out.truncated() || QgaJson.bool(status, "out-truncated", false, what),
                err.truncated() || QgaJson.bool(status, "err-truncated", false, what));
    }

    private QgaJson.Decoded output(JsonNode status, String field) {
        return QgaJson.optText(status, field, Integer.MAX_VALUE, "guest-exec-status")
                .map(text -> QgaJson.base64(text, limits.maxOutputBytes(), "guest-exec-status " + field))
                .orElseGet(() -> new QgaJson.Decoded(new byte[0], false));
    }

    /**
     * After a timeout: kills the guest process and collects its status, so the agent forgets it.
     * Best effort, bounded by a few default timeouts; failures are only logged.
     */
    private void abandon(long pid) {
        try {
            ObjectNode args = JSON.createObjectNode();
            args.put("path", "/bin/sh");
            args.putArray("arg").add("-c").add("kill -KILL \"$1\"").add("sh").add(Long.toString(pid));
            args.put("capture-output", true);
            long killer = startedPid(call("guest-exec", args, defaultTimeout));
            for (long p : new long[] {killer, pid}) {
                for (int i = 0; i < 20 && !QgaJson.bool(execStatus(p), "exited", false, "guest-exec-status"); i++) {
                    sleep(50);
                }
            }
        } catch (VmmException e) {
            log.debug("guest agent {}: could not kill guest process {}: {}", socket, pid, e.getMessage());
        }
    }

    // --- files -------------------------------------------------------------------------------------

    private long openFile(String guestPath, String mode) {
        ObjectNode args = JSON.createObjectNode();
        args.put("path", guestPath);
        args.put("mode", mode);
        JsonNode handle = call("guest-file-open", args, defaultTimeout);
        if (!handle.isIntegralNumber() || !handle.canConvertToLong() || handle.longValue() < 0) {
            throw new QgaProtocolException("guest-file-open returned no valid handle");
        }
        return handle.longValue();
    }

    /** One {@code guest-file-read} of at most {@code want} bytes, checked: data matches the count, never more. */
    private QgaFileChunk readChunk(long handle, int want) {
        ObjectNode args = JSON.createObjectNode();
        args.put("handle", handle);
        args.put("count", want);
        JsonNode reply = QgaJson.object(call("guest-file-read", args, defaultTimeout), "guest-file-read reply");
        long count = QgaJson.integer(reply, "count", "guest-file-read");
        if (count < 0 || count > want) {
            throw new QgaProtocolException("guest-file-read returned " + count + " bytes, asked for " + want);
        }
        String data = QgaJson.optText(reply, "buf-b64", Integer.MAX_VALUE, "guest-file-read").orElse("");
        if (data.length() != QgaLimits.base64Length(count)) {
            throw new QgaProtocolException("guest-file-read: " + data.length()
                    + " characters of base64 for a count of " + count);
        }
        QgaJson.Decoded bytes = QgaJson.base64(data, (int) count, "guest-file-read");
        if (bytes.truncated() || bytes.bytes().length != count) {
            throw new QgaProtocolException("guest-file-read: the data does not match the count " + count);
        }
        return new QgaFileChunk(bytes.bytes(), QgaJson.bool(reply, "eof", false, "guest-file-read"));
    }

    private void writeChunk(long handle, byte[] chunk, int length) {
        int offset = 0;
        int stalls = 0;
        while (offset < length) {
            ObjectNode args = JSON.createObjectNode();
            args.put("handle", handle);
            args.put("buf-b64", Base64.getEncoder().encodeToString(offset == 0 && length == chunk.length
                    ? chunk : Arrays.copyOfRange(chunk, offset, length)));
            JsonNode reply = QgaJson.object(call("guest-file-write", args, defaultTimeout), "guest-file-write reply");
            long count = QgaJson.integer(reply, "count", "guest-file-write");
            if (count < 0 || count > length - offset) {
                throw new QgaProtocolException("guest-file-write wrote " + count + " of " + (length - offset) + " bytes");
            }
            if (count == 0 && ++stalls > 3) {
                throw new VmmException("guest-file-write: the guest writes nothing (disk full?)");
            }
            offset += (int) count;
        }
    }

    /** Closes a guest file handle; a failure is added to {@code primary} if there is one. */
    private void closeFile(long handle, RuntimeException primary) {
        try {
            ObjectNode args = JSON.createObjectNode();
            args.put("handle", handle);
            call("guest-file-close", args, defaultTimeout);
        } catch (RuntimeException e) {
            if (primary == null) {
                throw e;
            }
            primary.addSuppressed(e);
        }
    }

    private static int readChunk(InputStream source, byte[] chunk) {
        try {
            return source.readNBytes(chunk, 0, chunk.length);
        } catch (IOException e) {
            throw new VmmException("reading the data for the guest failed: " + e.getMessage(), e);
        }
    }

    // --- helpers ---------------------------------------------------------------------------------

    private static Optional<QgaIpAddress> ipAddress(JsonNode entry) {
        if (entry == null || !entry.isObject()) {
            return Optional.empty();
        }
        JsonNode type = entry.get("ip-address-type");
        JsonNode literal = entry.get("ip-address");
        JsonNode prefix = entry.get("prefix");
        if (type == null || !type.isString() || literal == null || !literal.isString() || prefix == null
                || !prefix.isIntegralNumber() || !prefix.canConvertToInt() || literal.stringValue().length() > 64) {
            return Optional.empty();
        }
        String text = literal.stringValue();
        try {
            InetAddress address = switch (type.stringValue()) {
                case "ipv4" -> {
                    byte[] bytes = QgaJson.ipv4Literal(text);
                    yield bytes == null ? null : InetAddress.getByAddress(bytes);
                }
                case "ipv6" -> {
                    byte[] bytes = QgaJson.ipv6Literal(text);
                    yield bytes == null ? null : Inet6Address.getByAddress(null, bytes, -1);
                }
                default -> null;
            };
            int bits = prefix.intValue();
            if (address == null || bits < 0 || bits > (address instanceof Inet4Address ? 32 : 128)) {
                return Optional.empty();
            }
            return Optional.of(new QgaIpAddress(address, bits));
        } catch (java.net.UnknownHostException e) {
            // getByAddress with a valid length never throws this
            return Optional.empty();
        }
    }

    private void ensureOpen() {
        if (closed || !channel.isOpen()) {
            throw new VmmException("guest agent connection " + socket + " is closed");
        }
    }

    private VmmException connectionFailed(IOException e) {
        if (e instanceof InterruptedIOException) {
            Thread.currentThread().interrupt();
            return new VmmException("interrupted while talking to the guest agent on " + socket, e);
        }
        close();
        return new VmmException("guest agent connection " + socket + " failed: " + e.getMessage(), e);
    }

    private static void requireGuestPath(String path) {
        Objects.requireNonNull(path, "guestPath");
        if (!path.startsWith("/") || path.length() > MAX_GUEST_PATH) {
            throw new IllegalArgumentException("guest path must be absolute and at most " + MAX_GUEST_PATH
                    + " characters");
        }
        for (int i = 0; i < path.length(); i++) {
            if (Character.isISOControl(path.charAt(i))) {
                throw new IllegalArgumentException("guest path holds a NUL or control character");
            }
        }
    }

    private static void requireCap(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
    }

    private static void requirePositive(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while waiting for a guest process", e);
        }
    }
}
