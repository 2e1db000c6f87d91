package io.atrium.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

import io.atrium.gateway.rfb.ClientStreamParser;
import io.atrium.gateway.rfb.RfbProtocolException;
import io.atrium.gateway.rfb.RfbSession;
import io.atrium.gateway.rfb.RfbSink;
import io.atrium.gateway.rfb.ServerStreamParser;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.eclipse.jetty.websocket.api.exceptions.WebSocketTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay core: a byte pump between one browser WebSocket session and the VNC server of one VM,
 * reached through the {@link ConsoleConnector} for the target's {@link ConsoleEndpoint} (a unix domain
 * socket today). Instances are created by {@link GatewayServlet} after the ticket was redeemed; the
 * class is public only because Jetty requires public endpoint classes.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li><b>Explicit demand, browser → VM.</b> This is a non-auto-demanding {@link Session.Listener}.
 *       Each binary frame is written completely to the VNC socket by the connection's writer
 *       (virtual) thread; only then is the frame's {@link Callback} succeeded and
 *       {@link Session#demand()} called for the next frame. At most one frame is in flight, so a VM
 *       that stops reading stops the browser via TCP flow control, and memory per connection is
 *       bounded by {@link GatewaySettings#maxFrameSize()} (larger frames are split by Jetty). Every
 *       event that consumes a demand (binary, text, ping, pong) issues exactly one new demand, also
 *       while closing, so the browser's close reply is read.</li>
 *   <li><b>Send-then-read, VM → browser.</b> The reader (virtual) thread reads at most
 *       {@link GatewaySettings#relayBufferSize()} bytes, sends them with
 *       {@link Session#sendBinary(ByteBuffer, Callback)} and reads again only after the send
 *       callback completed. A browser that stops reading therefore stops the reads from the VM.</li>
 *   <li><b>Single close.</b> Whichever side ends first (browser close, VM EOF, error, take-over,
 *       admin disconnect) wins one compare-and-set; the loser is a no-op. The winner closes the
 *       VNC channel, stops both pumps, closes the WebSocket with the {@link GatewayStatus} close code
 *       and reason (unless the browser already closed it), and reports the status to
 *       {@link GatewayConnections} exactly once.</li>
 *   <li><b>Text frames</b> are a protocol error: the connection is closed with {@code 1003}.</li>
 *   <li><b>RFB is checked both ways.</b> The browser's bytes go through a {@link ClientStreamParser} on the writer
 *       thread and the VM's through a {@link ServerStreamParser} on the reader thread, before they are written on:
 *       unknown or malformed messages close the connection with {@link GatewayStatus#PROTOCOL_VIOLATION} (nothing
 *       of them passes), and clipboard text goes on only as the target's {@link ClipboardPolicy} allows (reported to
 *       {@link GatewayListener#onClipboard}). Passed bytes are slices of the frame or read buffer, not copies, and
 *       are written before the frame's callback completes or the next read starts, so back-pressure is
 *       unchanged.</li>
 *   <li><b>An endpoint that cannot be opened</b> (no connector for its scheme, malformed address, socket
 *       missing) closes the connection with {@link GatewayStatus#DESKTOP_GONE}; a connector that throws
 *       anything else or returns nothing closes it with {@link GatewayStatus#SERVER_ERROR}.</li>
 *   <li><b>No ticket</b> ever reaches this class; logs carry only the connection id, desktop, user
 *       and byte counts.</li>
 * </ul>
 */
public final class VncRelay implements Session.Listener {

    private static final Logger log = LoggerFactory.getLogger(VncRelay.class);

    private final String connectionId;
    private final ConsoleTarget target;
    private final GatewayConnections connections;
    private final ConsoleConnector connector;
    private final int bufferSize;
    private final ClientStreamParser fromBrowser;
    private final ServerStreamParser fromVm;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder bytesFromBrowser = new LongAdder();
    private final LongAdder bytesToBrowser = new LongAdder();
    /** Guards publication and teardown of {@link #channel}, {@link #writer} and {@link #reader}. */
    private final ReentrantLock resources = new ReentrantLock();

    private volatile Session session;
    private volatile ByteChannel channel;
    private volatile ExecutorService writer;
    private volatile Thread reader;
    private volatile Instant openedAt;
    private volatile boolean idleTimedOut;
    private volatile GatewayStatus closeStatus;
    /** Guarded by the {@link GatewayConnections} registry lock. */
    private boolean registered;

    VncRelay(String connectionId, ConsoleTarget target, GatewayConnections connections, ConsoleConnector connector,
             GatewaySettings settings) {
        this.connectionId = Objects.requireNonNull(connectionId, "connectionId");
        this.target = Objects.requireNonNull(target, "target");
        this.connections = Objects.requireNonNull(connections, "connections");
        this.connector = Objects.requireNonNull(connector, "connector");
        this.bufferSize = settings.relayBufferSize();
        RfbSession rfb = new RfbSession(target.clipboard());
        this.fromBrowser = rfb.clientParser(transfer -> connections.clipboard(this, transfer));
        this.fromVm = rfb.serverParser(transfer -> connections.clipboard(this, transfer));
    }

    /** Collects what a parser passes on, in order. */
    private static final class Parts implements RfbSink {
        final List<ByteBuffer> list = new ArrayList<>(4);

        @Override
        public void forward(ByteBuffer slice) {
            list.add(slice);
        }

        @Override
        public void insert(ByteBuffer bytes) {
            list.add(bytes);
        }
    }

    // ---------------------------------------------------------------- WebSocket events (Jetty threads)

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        ByteChannel vnc;
        try {
            vnc = connector.open(target.console());
            if (vnc == null) {
                throw new IllegalStateException("connector " + connector + " returned no channel");
            }
        } catch (UnsupportedConsoleAddressException e) {
            log.warn("Console connection {} for desktop {} user {}: console {} on host {} cannot be opened: {}",
                    connectionId, target.desktopId(), target.username(), target.console().address(),
                    target.console().hostId(), e.getMessage());
            close(GatewayStatus.DESKTOP_GONE, null);
            demand(); // read the browser's close reply
            return;
        } catch (IOException e) {
            log.info("Console connection {} for desktop {} user {}: console {} on host {} not reachable: {}",
                    connectionId, target.desktopId(), target.username(), target.console().address(),
                    target.console().hostId(), e.toString());
            close(GatewayStatus.DESKTOP_GONE, null);
            demand();
            return;
        } catch (RuntimeException e) {
            log.error("Console connection {} for desktop {}: connector {} failed for console {}",
                    connectionId, target.desktopId(), connector, target.console().address(), e);
            close(GatewayStatus.SERVER_ERROR, null);
            demand();
            return;
        }
        try {
            resources.lock();
            try {
                if (closed.get()) {
                    closeQuietly(vnc);
                    demand();
                    return;
                }
                channel = vnc;
                writer = Executors.newSingleThreadExecutor(
                        Thread.ofVirtual().name("atrium-gateway-to-vm-" + connectionId).factory());
            } finally {
                resources.unlock();
            }
            openedAt = Instant.now();
            if (connections.register(this)) {
                resources.lock();
                try {
                    if (!closed.get()) {
                        reader = Thread.ofVirtual().name("atrium-gateway-to-browser-" + connectionId)
                                .start(this::pumpVmToBrowser);
                    }
                } finally {
                    resources.unlock();
                }
                log.info("Console connection {} opened: desktop {} user {} from {}",
                        connectionId, target.desktopId(), target.username(), session.getRemoteSocketAddress());
            }
        } catch (RuntimeException e) {
            log.error("Console connection {} for desktop {}: failed to start relay", connectionId, target.desktopId(), e);
            close(GatewayStatus.SERVER_ERROR, null);
        }
        // The initial demand: the first frame, or the browser's close reply if the relay is already closed.
        demand();
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
        if (payload == null || !payload.hasRemaining()) {
            callback.succeed();
            demand();
            return;
        }
        ExecutorService w = writer;
        if (closed.get() || w == null) {
            discard(callback);
            return;
        }
        try {
            w.execute(() -> writeToVm(payload, callback));
        } catch (RejectedExecutionException e) {
            discard(callback);
        }
    }

    @Override
    public void onWebSocketPartialText(String payload, boolean last) {
        if (close(GatewayStatus.UNSUPPORTED_DATA, null)) {
            log.info("Console connection {} for desktop {}: browser sent a text frame", connectionId, target.desktopId());
        }
        demand();
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
        Session s = session;
        s.sendPong(payload, Callback.from(this::demand, failure -> demand()));
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        demand();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        if (cause instanceof WebSocketTimeoutException) {
            idleTimedOut = true;
        }
        log.debug("Console connection {} for desktop {}: WebSocket error", connectionId, target.desktopId(), cause);
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        try {
            GatewayStatus why = idleTimedOut ? GatewayStatus.IDLE_TIMEOUT : statusForBrowserClose(statusCode);
            terminate(why, null, false);
        } finally {
            callback.succeed();
        }
    }

    // ---------------------------------------------------------------- pumps (virtual threads)

    private void writeToVm(ByteBuffer payload, Callback callback) {
        try {
            ByteChannel vnc = channel;
            int length = payload.remaining();
            Parts parts = new Parts();
            fromBrowser.feed(payload, parts);
            for (ByteBuffer part : parts.list) {
                while (part.hasRemaining()) {
                    vnc.write(part);
                }
            }
            bytesFromBrowser.add(length);
        } catch (RfbProtocolException e) {
            if (close(GatewayStatus.PROTOCOL_VIOLATION, null)) {
                log.info("Console connection {} for desktop {}: browser broke the console protocol: {}",
                        connectionId, target.desktopId(), e.getMessage());
            }
        } catch (IOException e) {
            if (!closed.get()) {
                log.debug("Console connection {}: write to VM failed", connectionId, e);
                close(GatewayStatus.VM_CLOSED, null);
            }
        } catch (RuntimeException e) {
            log.error("Console connection {}: relaying to the VM failed", connectionId, e);
            close(GatewayStatus.SERVER_ERROR, null);
        } finally {
            // Frame fully written (or dropped because the relay is closing): release it, then ask for the next one.
            callback.succeed();
            demand();
        }
    }

    private void pumpVmToBrowser() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bufferSize);
        ByteChannel vnc = channel;
        Parts parts = new Parts();
        try {
            while (!closed.get()) {
                buffer.clear();
                int read = vnc.read(buffer);
                if (read < 0) {
                    if (close(GatewayStatus.VM_CLOSED, null)) {
                        log.debug("Console connection {}: VM closed the VNC connection", connectionId);
                    }
                    return;
                }
                if (read == 0) {
                    continue;
                }
                bytesToBrowser.add(read);
                buffer.flip();
                parts.list.clear();
                fromVm.feed(buffer, parts);
                for (ByteBuffer part : parts.list) {
                    CompletableFuture<Void> sent = new CompletableFuture<>();
                    session.sendBinary(part, Callback.from(() -> sent.complete(null), sent::completeExceptionally));
                    sent.get(); // back-pressure: no further read until the browser connection took these bytes
                }
            }
        } catch (RfbProtocolException e) {
            if (close(GatewayStatus.PROTOCOL_VIOLATION, null)) {
                log.warn("Console connection {} for desktop {}: the VM's VNC stream cannot be framed: {}",
                        connectionId, target.desktopId(), e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // interrupted by terminate(): the relay is closing
        } catch (ExecutionException e) {
            if (!closed.get()) {
                log.debug("Console connection {}: send to browser failed", connectionId, e.getCause());
                close(GatewayStatus.CONNECTION_LOST, null);
            }
        } catch (ClosedChannelException e) {
            if (!closed.get()) {
                close(GatewayStatus.VM_CLOSED, null);
            }
        } catch (IOException e) {
            if (!closed.get()) {
                log.debug("Console connection {}: read from VM failed", connectionId, e);
                close(GatewayStatus.VM_CLOSED, null);
            }
        } catch (RuntimeException e) {
            log.error("Console connection {}: relaying to the browser failed", connectionId, e);
            close(GatewayStatus.SERVER_ERROR, null);
        }
    }

    // ---------------------------------------------------------------- closing

    /**
     * Closes this relay and the browser WebSocket with {@code status}, unless it is already closed.
     *
     * @param status why
     * @param reason close reason for the browser; {@code null} for the status's default reason
     * @return {@code true} if this call closed the relay, {@code false} if it was already closed
     */
    boolean close(GatewayStatus status, String reason) {
        return terminate(status, reason, true);
    }

    private boolean terminate(GatewayStatus status, String reason, boolean closeWebSocket) {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        closeStatus = status;
        List<Runnable> unstartedWrites = List.of();
        resources.lock();
        try {
            closeQuietly(channel); // unblocks a pending VM read or write
            ExecutorService w = writer;
            if (w != null) {
                unstartedWrites = w.shutdownNow();
            }
            Thread r = reader;
            if (r != null && r != Thread.currentThread()) {
                r.interrupt(); // unblocks a reader waiting for a send callback
            }
        } finally {
            resources.unlock();
        }
        // A frame handed to the writer but not yet started still owns a callback and the next demand:
        // run it here; with the channel closed it only completes the callback and demands.
        for (Runnable write : unstartedWrites) {
            write.run();
        }
        Session s = session;
        if (closeWebSocket && s != null && s.isOpen()) {
            if (status.isTransmittable()) {
                String text = GatewayStatus.truncateReason(reason == null ? status.reason() : reason);
                s.close(status.closeCode(), text, Callback.from(() -> { },
                        failure -> log.debug("Console connection {}: close frame not sent", connectionId, failure)));
            } else {
                s.disconnect();
            }
        }
        connections.unregister(this, status);
        log.info("Console connection {} closed: {} ({}), desktop {} user {}, {} bytes from browser, {} bytes to browser",
                connectionId, status, status.closeCode(), target.desktopId(), target.username(),
                bytesFromBrowser.sum(), bytesToBrowser.sum());
        return true;
    }

    private void discard(Callback callback) {
        callback.succeed();
        demand();
    }

    private void demand() {
        Session s = session;
        try {
            s.demand();
        } catch (RuntimeException e) {
            // The session is already fully closed; there is nothing more to read.
            log.trace("Console connection {}: demand after close ignored: {}", connectionId, e.toString());
        }
    }

    private static void closeQuietly(ByteChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            log.trace("Closing VNC socket failed", e);
        }
    }

    private static GatewayStatus statusForBrowserClose(int statusCode) {
        return switch (statusCode) {
            case StatusCode.ABNORMAL, StatusCode.PROTOCOL, StatusCode.BAD_PAYLOAD, StatusCode.MESSAGE_TOO_LARGE,
                 StatusCode.SERVER_ERROR, StatusCode.FAILED_TLS_HANDSHAKE -> GatewayStatus.CONNECTION_LOST;
            default -> GatewayStatus.NORMAL;
        };
    }

    // ---------------------------------------------------------------- accessors for GatewayConnections

    String connectionId() {
        return connectionId;
    }

    ConsoleTarget target() {
        return target;
    }

    boolean isClosed() {
        return closed.get();
    }

    GatewayStatus closeStatus() {
        return closeStatus;
    }

    boolean registered() {
        return registered;
    }

    void registered(boolean value) {
        registered = value;
    }

    ConnectionStats stats() {
        return new ConnectionStats(connectionId, target, openedAt, bytesFromBrowser.sum(), bytesToBrowser.sum());
    }

    @Override
    public String toString() {
        return "VncRelay[" + connectionId + " desktop=" + target.desktopId() + " user=" + target.username()
                + (closed.get() ? " closed=" + closeStatus : "") + "]";
    }
}
