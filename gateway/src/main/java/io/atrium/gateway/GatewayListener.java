package io.atrium.gateway;

/**
 * Observes console connections, e.g. so the broker can track session states.
 *
 * <p>Callbacks run synchronously on gateway threads while {@link GatewayConnections} holds its
 * registry lock, which keeps the events of one desktop in order: when a connection takes over a
 * desktop, the older connection's {@link #onDisconnected} ({@link GatewayStatus#TAKEN_OVER}) is
 * delivered before the newer connection's {@link #onConnected}. Implementations must therefore be
 * quick and must not block; they may call back into {@link GatewayConnections} from the same
 * thread. Exceptions thrown by a listener are logged and otherwise ignored.
 *
 * <p>Only connections that were fully established (ticket redeemed and VNC socket connected) are
 * reported; refused connection attempts are not. Every {@code onConnected} is followed by exactly
 * one {@code onDisconnected} with the same {@code connectionId}.
 */
public interface GatewayListener {

    /**
     * A console connection is established and relaying.
     *
     * @param target the console
     * @param connectionId unique id of this connection (also used in the gateway logs)
     */
    default void onConnected(ConsoleTarget target, String connectionId) {
    }

    /**
     * A console connection ended.
     *
     * @param target the console
     * @param connectionId the id passed to {@link #onConnected}
     * @param why why it ended
     */
    default void onDisconnected(ConsoleTarget target, String connectionId, GatewayStatus why) {
    }

    /**
     * The gateway relayed or dropped clipboard text on a live connection (or closed the desktop-to-browser
     * channel for it), by the target's {@link ClipboardPolicy}. Called on the relay's own threads, not under the
     * registry lock, in the order seen per direction, between that connection's {@code onConnected} and
     * {@code onDisconnected}; must not block (hand slow work, such as writing an audit entry, to another thread).
     *
     * @param target the console
     * @param connectionId the id passed to {@link #onConnected}
     * @param transfer what was seen and done; never the text
     */
    default void onClipboard(ConsoleTarget target, String connectionId, ClipboardTransfer transfer) {
    }
}
