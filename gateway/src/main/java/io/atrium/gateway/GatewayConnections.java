package io.atrium.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registry of live console connections, at most one per desktop. Thread-safe.
 *
 * <p>When a connection for a desktop opens while another one is live, the older one is closed with
 * {@link GatewayStatus#TAKEN_OVER} (one viewer per desktop; the newest wins). Listeners are notified
 * in order as described in {@link GatewayListener}.
 *
 * <p>One instance is shared by the {@link GatewayServlet} and the application (broker), which uses
 * it to force disconnects ({@link #disconnect}) and to query state.
 */
public final class GatewayConnections {

    private static final Logger log = LoggerFactory.getLogger(GatewayConnections.class);

    private final ConcurrentHashMap<String, VncRelay> relays = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<GatewayListener> listeners = new CopyOnWriteArrayList<>();
    /** Serializes registration changes and listener notifications; reentrant for listener call-backs. */
    private final ReentrantLock lock = new ReentrantLock();

    /** Adds a listener; see {@link GatewayListener} for the threading contract. */
    public void addListener(GatewayListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a listener added with {@link #addListener}. */
    public void removeListener(GatewayListener listener) {
        listeners.remove(listener);
    }

    /** Whether a console connection for this desktop is live. */
    public boolean isConnected(String desktopId) {
        return relays.containsKey(Objects.requireNonNull(desktopId, "desktopId"));
    }

    /**
     * Closes the live console connection of a desktop, e.g. for an admin force-disconnect
     * ({@link GatewayStatus#ADMIN_DISCONNECT}), a logoff, or a deleted desktop
     * ({@link GatewayStatus#DESKTOP_GONE}). The browser receives {@code why}'s close code and reason.
     *
     * @param desktopId the desktop
     * @param why the status to close with
     * @return {@code true} if a live connection was closed
     */
    public boolean disconnect(String desktopId, GatewayStatus why) {
        Objects.requireNonNull(why, "why");
        VncRelay relay = relays.get(Objects.requireNonNull(desktopId, "desktopId"));
        return relay != null && relay.close(why, null);
    }

    /**
     * Closes every live console connection, e.g. with {@link GatewayStatus#SHUTDOWN} before the
     * application stops.
     *
     * @param why the status to close with
     * @return how many connections were closed
     */
    public int disconnectAll(GatewayStatus why) {
        Objects.requireNonNull(why, "why");
        int count = 0;
        for (VncRelay relay : List.copyOf(relays.values())) {
            if (relay.close(why, null)) {
                count++;
            }
        }
        return count;
    }

    /** A snapshot of the live connection of a desktop, if any. */
    public Optional<ConnectionStats> connection(String desktopId) {
        VncRelay relay = relays.get(Objects.requireNonNull(desktopId, "desktopId"));
        return relay == null ? Optional.empty() : Optional.of(relay.stats());
    }

    /** Snapshots of all live connections. */
    public List<ConnectionStats> connections() {
        List<ConnectionStats> result = new ArrayList<>();
        for (VncRelay relay : relays.values()) {
            result.add(relay.stats());
        }
        return List.copyOf(result);
    }

    /** Number of live connections. */
    public int size() {
        return relays.size();
    }

    /**
     * Registers a relay whose VNC socket is connected, closing an older relay of the same desktop
     * with {@link GatewayStatus#TAKEN_OVER} first.
     *
     * @return {@code false} if the relay was closed before it could be registered
     */
    boolean register(VncRelay relay) {
        lock.lock();
        try {
            if (relay.isClosed()) {
                return false;
            }
            VncRelay previous = relays.put(relay.target().desktopId(), relay);
            relay.registered(true);
            if (previous != null && previous != relay) {
                // Synchronously notifies onDisconnected(previous, TAKEN_OVER) through unregister (reentrant).
                previous.close(GatewayStatus.TAKEN_OVER, null);
            }
            for (GatewayListener listener : listeners) {
                try {
                    listener.onConnected(relay.target(), relay.connectionId());
                } catch (RuntimeException e) {
                    log.warn("Gateway listener {} failed in onConnected for connection {}", listener, relay.connectionId(), e);
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Tells the listeners about a clipboard transfer of a registered relay (not under the registry lock). */
    void clipboard(VncRelay relay, ClipboardTransfer transfer) {
        for (GatewayListener listener : listeners) {
            try {
                listener.onClipboard(relay.target(), relay.connectionId(), transfer);
            } catch (RuntimeException e) {
                log.warn("Gateway listener {} failed in onClipboard for connection {}", listener, relay.connectionId(), e);
            }
        }
    }

    /** Removes a closed relay and notifies listeners, once, if it had been registered. */
    void unregister(VncRelay relay, GatewayStatus why) {
        lock.lock();
        try {
            if (!relay.registered()) {
                return;
            }
            relay.registered(false);
            relays.remove(relay.target().desktopId(), relay);
            for (GatewayListener listener : listeners) {
                try {
                    listener.onDisconnected(relay.target(), relay.connectionId(), why);
                } catch (RuntimeException e) {
                    log.warn("Gateway listener {} failed in onDisconnected for connection {}", listener, relay.connectionId(), e);
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
