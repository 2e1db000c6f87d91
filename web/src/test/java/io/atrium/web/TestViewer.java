package io.atrium.web;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/** A browser stand-in for the console WebSocket: counts what it receives and records how the connection closed. */
public final class TestViewer implements Session.Listener.AutoDemanding {

    /** How the gateway closed the connection. */
    public record Closed(int code, String reason) {
    }

    public final CompletableFuture<Session> opened = new CompletableFuture<>();
    public final CompletableFuture<Closed> closed = new CompletableFuture<>();
    public final AtomicLong received = new AtomicLong();

    @Override
    public void onWebSocketOpen(Session session) {
        opened.complete(session);
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        received.addAndGet(payload.remaining());
        callback.succeed();
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
}
