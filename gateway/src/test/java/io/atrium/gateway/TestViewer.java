package io.atrium.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * A browser stand-in: a Jetty WebSocket client endpoint with explicit demand, so a test can make
 * it stop reading.
 */
public final class TestViewer implements Session.Listener {

    record Closed(int code, String reason) {
    }

    final CompletableFuture<Session> opened = new CompletableFuture<>();
    final CompletableFuture<Closed> closed = new CompletableFuture<>();
    final AtomicLong received = new AtomicLong();
    final AtomicLong pongs = new AtomicLong();

    private final boolean store;
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private volatile boolean reading;
    private volatile Session session;
    private volatile long patternMismatchAt = -1;
    private volatile long patternStart;

    /**
     * @param reading whether to demand frames from the start
     * @param store whether to keep received bytes ({@link #data()}); otherwise they are checked
     *              against {@link FakeVncServer#pattern(long)}
     */
    TestViewer(boolean reading, boolean store) {
        this.reading = reading;
        this.store = store;
    }

    static TestViewer reading() {
        return new TestViewer(true, true);
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        opened.complete(session);
        if (reading) {
            session.demand();
        }
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
        if (payload != null) {
            int length = payload.remaining();
            if (store) {
                byte[] bytes = new byte[length];
                payload.get(bytes);
                synchronized (data) {
                    data.writeBytes(bytes);
                }
            } else {
                long offset = received.get();
                for (int i = 0; i < length; i++) {
                    byte b = payload.get();
                    long at = offset + i - patternStart;
                    if (at >= 0 && b != FakeVncServer.pattern(at) && patternMismatchAt < 0) {
                        patternMismatchAt = at;
                    }
                }
            }
            received.addAndGet(length);
        }
        callback.succeed();
        if (reading) {
            session.demand();
        }
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        pongs.incrementAndGet();
        if (reading) {
            session.demand();
        }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        closed.complete(new Closed(statusCode, reason));
        callback.succeed();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        closed.completeExceptionally(cause);
    }

    /** Received bytes before this offset are not checked against the pattern (a handshake, headers). */
    void patternStartsAt(long offset) {
        patternStart = offset;
    }

    /** Sends the client's RFB handshake ({@link FakeVncServer#CLIENT_HANDSHAKE}). */
    void handshake() throws Exception {
        send(FakeVncServer.CLIENT_HANDSHAKE);
    }

    /** Sends {@code bytes} as one binary message. */
    void send(byte[] bytes) throws Exception {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        session.sendBinary(ByteBuffer.wrap(bytes), Callback.from(() -> sent.complete(null), sent::completeExceptionally));
        sent.get(10, TimeUnit.SECONDS);
    }

    /** Starts demanding frames (for a viewer created not reading). */
    void startReading() {
        reading = true;
        session.demand();
    }

    byte[] data() {
        synchronized (data) {
            return data.toByteArray();
        }
    }

    long patternMismatchAt() {
        return patternMismatchAt;
    }

    Session session() {
        return session;
    }

    void sendText(String text) throws Exception {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        session.sendText(text, Callback.from(() -> sent.complete(null), sent::completeExceptionally));
        sent.get(10, TimeUnit.SECONDS);
    }

    /** Sends {@code bytes} as binary messages of random sizes, each after the previous one completed. */
    void sendInRandomChunks(byte[] bytes, Random random, int maxChunk) throws Exception {
        int offset = 0;
        while (offset < bytes.length) {
            int size = Math.min(bytes.length - offset, 1 + random.nextInt(maxChunk));
            CompletableFuture<Void> sent = new CompletableFuture<>();
            session.sendBinary(ByteBuffer.wrap(bytes, offset, size),
                    Callback.from(() -> sent.complete(null), sent::completeExceptionally));
            sent.get(10, TimeUnit.SECONDS);
            offset += size;
        }
    }

    void ping() throws Exception {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        session.sendPing(ByteBuffer.wrap(new byte[] {1, 2, 3}),
                Callback.from(() -> sent.complete(null), sent::completeExceptionally));
        sent.get(10, TimeUnit.SECONDS);
    }

    void close() {
        session.close(1000, "bye", Callback.NOOP);
    }
}
