package io.atrium.vmm.host;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.api.GuestReply;
import io.atrium.vmm.api.GuestRequest;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.qga.QgaErrorException;
import io.atrium.vmm.qga.QgaExecResult;
import io.atrium.vmm.qga.QgaFileChunk;
import io.atrium.vmm.qga.QgaTimeoutException;
import io.atrium.vmm.qga.QgaUnavailableException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link io.atrium.vmm.api.MachineHost#guest} for one running machine: its QEMU guest agent, connected on first use
 * and kept (one connection per machine; the agent's channel takes one client at a time), and the files opened for
 * transfers, by a random id that means nothing outside this machine. Everything from the guest is untrusted: file
 * lists are parsed defensively and checked entry by entry, process output is capped by the client.
 *
 * <p>The connection is closed again after {@link #IDLE} without requests while no transfer is open
 * ({@link #closeIfIdle}), so the channel is free for other clients of the agent between uses; the agent keeps open
 * files across connections.
 *
 * <p>Thread safe: the agent client serialises commands; a transfer's calls may interleave with other requests.
 */
final class GuestOperations implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GuestOperations.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Open transfers per machine; more are refused (a client that forgets to close cannot pile them up). */
    static final int MAX_OPEN_FILES = 16;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration EXEC_TIMEOUT = Duration.ofSeconds(20);
    /** How long an unused connection stays open. */
    static final Duration IDLE = Duration.ofSeconds(5);
    private static final Pattern NUMBER = Pattern.compile("[0-9]{1,18}");
    private static final Pattern TIME = Pattern.compile("[0-9]{1,12}(\\.[0-9]{0,10})?");

    private final String machine;
    private final Path socket;
    private final Map<String, Long> open = new ConcurrentHashMap<>();
    private final Object connecting = new Object();
    private volatile QgaClient client;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long lastUse = System.nanoTime();

    GuestOperations(String machine, Path qgaSocket) {
        this.machine = machine;
        this.socket = qgaSocket;
    }

    GuestReply run(GuestRequest<?> request) {
        inFlight.incrementAndGet();
        try {
            return switch (request) {
                case GuestRequest.SetKeyboardLayout k -> {
                    List<String> argv = new ArrayList<>(List.of("/usr/bin/setxkbmap", "-display", ":0", "-layout",
                            k.layout()));
                    if (!k.variant().isEmpty()) {
                        argv.addAll(List.of("-variant", k.variant()));
                    }
                    exec(argv, "setxkbmap");
                    yield GuestReply.Done.DONE;
                }
                case GuestRequest.MakeDirectory m -> {
                    exec(List.of("/bin/mkdir", "-p", "--", m.directory()), "mkdir");
                    yield GuestReply.Done.DONE;
                }
                case GuestRequest.ListFiles l -> new GuestReply.Files(list(l.directory(), l.max()));
                case GuestRequest.RenameFile r -> {
                    exec(List.of("/bin/mv", "-f", "--", r.from(), r.to()), "mv");
                    yield GuestReply.Done.DONE;
                }
                case GuestRequest.DeleteFile d -> {
                    exec(List.of("/bin/rm", "-f", "--", d.path()), "rm");
                    yield GuestReply.Done.DONE;
                }
                case GuestRequest.OpenFile o -> {
                    if (open.size() >= MAX_OPEN_FILES) {
                        throw new MachineException(MachineException.Kind.INVALID_SPEC, "machine " + machine
                                + " has " + MAX_OPEN_FILES + " files open for transfers already");
                    }
                    long handle = agent().fileOpen(o.path(), o.mode() == GuestRequest.Mode.WRITE);
                    byte[] id = new byte[12];
                    RANDOM.nextBytes(id);
                    String key = HexFormat.of().formatHex(id);
                    open.put(key, handle);
                    yield new GuestReply.Opened(key);
                }
                case GuestRequest.WriteFile w -> {
                    agent().fileWrite(handle(w.handle()), w.data());
                    yield new GuestReply.Written(w.data().length);
                }
                case GuestRequest.ReadFile r -> {
                    QgaClient agent = agent();
                    QgaFileChunk chunk = agent.fileRead(handle(r.handle()),
                            Math.min(r.maxBytes(), agent.limits().chunkBytes()));
                    yield new GuestReply.Chunk(chunk.data(), chunk.eof());
                }
                case GuestRequest.CloseFile c -> {
                    Long handle = open.remove(c.handle());
                    if (handle != null) {
                        agent().fileClose(handle);
                    }
                    yield GuestReply.Done.DONE;
                }
            };
        } catch (QgaUnavailableException e) {
            drop();
            throw new MachineException(MachineException.Kind.GUEST_UNAVAILABLE,
                    "machine " + machine + ": its guest agent does not answer", e);
        } catch (QgaErrorException e) {
            throw new MachineException(MachineException.Kind.FAILED, "machine " + machine + ": " + e.getMessage(), e);
        } catch (QgaTimeoutException e) {
            throw new MachineException(MachineException.Kind.FAILED, "machine " + machine + ": " + e.getMessage(), e);
        } catch (MachineException e) {
            throw e;
        } catch (VmmException e) {
            drop(); // the connection broke (or a protocol error): the next request connects again
            throw new MachineException(MachineException.Kind.FAILED, "machine " + machine + ": " + e.getMessage(), e);
        } finally {
            lastUse = System.nanoTime();
            inFlight.decrementAndGet();
        }
    }

    /** Closes the agent connection if nothing used it for {@link #IDLE} and no transfer is open. */
    void closeIfIdle() {
        if (client != null && inFlight.get() == 0 && open.isEmpty() && System.nanoTime() - lastUse > IDLE.toNanos()) {
            synchronized (connecting) {
                if (inFlight.get() == 0 && open.isEmpty()) {
                    drop();
                }
            }
        }
    }

    private long handle(String id) {
        Long handle = open.get(id);
        if (handle == null) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC,
                    "machine " + machine + " has no open file with that handle");
        }
        return handle;
    }

    private void exec(List<String> argv, String what) {
        QgaExecResult result = agent().exec(argv, EXEC_TIMEOUT);
        if (!result.succeeded()) {
            String err = result.stderrText().replaceAll("\\p{Cntrl}", " ").strip();
            throw new MachineException(MachineException.Kind.FAILED, "machine " + machine + ": " + what + " failed ("
                    + result.exitCode() + "): " + (err.length() > 200 ? err.substring(0, 200) : err));
        }
    }

    /**
     * {@code find DIR -mindepth 1 -maxdepth 1 -type f -printf '%s\t%T@\t%f\0'}: size, modification time and name of
     * each regular file. Entries that do not parse, or whose name is not valid UTF-8, empty, over 255 bytes, or holds
     * a '/' or a control character, are left out; a missing directory has no files.
     */
    private List<GuestReply.GuestFile> list(String directory, int max) {
        QgaExecResult result = agent().exec(List.of("/usr/bin/find", directory, "-mindepth", "1", "-maxdepth", "1",
                "-type", "f", "-printf", "%s\\t%T@\\t%f\\0"), EXEC_TIMEOUT);
        byte[] out = result.stdout();
        List<GuestReply.GuestFile> files = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < out.length && files.size() < max; i++) {
            if (out[i] != 0) {
                continue;
            }
            parseEntry(Arrays.copyOfRange(out, start, i)).ifPresent(files::add);
            start = i + 1;
        }
        files.sort(java.util.Comparator.comparing(GuestReply.GuestFile::name));
        return files;
    }

    static java.util.Optional<GuestReply.GuestFile> parseEntry(byte[] entry) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(entry)).toString();
        } catch (CharacterCodingException e) {
            return java.util.Optional.empty();
        }
        String[] parts = text.split("\t", 3);
        if (parts.length != 3 || !NUMBER.matcher(parts[0]).matches() || !TIME.matcher(parts[1]).matches()) {
            return java.util.Optional.empty();
        }
        String name = parts[2];
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.getBytes(StandardCharsets.UTF_8).length > 255
                || name.codePoints().anyMatch(c -> Character.getType(c) == Character.CONTROL
                || Character.getType(c) == Character.FORMAT && c != 0x200D)) {
            return java.util.Optional.empty();
        }
        long seconds = Long.parseLong(parts[1].contains(".") ? parts[1].substring(0, parts[1].indexOf('.')) : parts[1]);
        return java.util.Optional.of(new GuestReply.GuestFile(name, Long.parseLong(parts[0]),
                Instant.ofEpochSecond(seconds)));
    }

    private QgaClient agent() {
        QgaClient c = client;
        if (c != null && c.isOpen()) {
            return c;
        }
        synchronized (connecting) {
            if (closed) {
                throw new MachineException(MachineException.Kind.NOT_RUNNING, "machine " + machine + " stopped");
            }
            if (client == null || !client.isOpen()) {
                try {
                    client = QgaClient.connect(socket, CONNECT_TIMEOUT);
                } catch (QgaUnavailableException e) {
                    throw e;
                } catch (VmmException e) {
                    throw new MachineException(MachineException.Kind.GUEST_UNAVAILABLE,
                            "machine " + machine + " has no guest agent channel: " + e.getMessage(), e);
                }
                log.debug("machine {}: guest agent connected", machine);
            }
            return client;
        }
    }

    private void drop() {
        synchronized (connecting) {
            QgaClient c = client;
            client = null;
            if (c != null) {
                c.close();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        drop();
        open.clear();
    }
}
