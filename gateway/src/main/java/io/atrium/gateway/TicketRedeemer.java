package io.atrium.gateway;

/**
 * Redeems console tickets. Implemented by the broker, which owns the tickets.
 *
 * <p>The gateway calls {@link #redeem(TicketRequest)} exactly once per WebSocket connection attempt that
 * carries a ticket, on the thread handling the HTTP upgrade request, and never logs the ticket.
 * Implementations are expected to make tickets single use (a second redemption fails with
 * {@link GatewayStatus#TICKET_USED}), short lived ({@link GatewayStatus#TICKET_EXPIRED}) and bound
 * to one user and desktop ({@link GatewayStatus#FORBIDDEN}).
 */
@FunctionalInterface
public interface TicketRedeemer {

    /**
     * Redeems a ticket.
     *
     * @param request the ticket with the desktop the browser asked for and the authenticated user, if known
     * @return the console the ticket grants access to; never {@code null}
     * @throws GatewayException with {@link GatewayStatus#TICKET_INVALID}, {@link GatewayStatus#TICKET_USED},
     *         {@link GatewayStatus#TICKET_EXPIRED}, {@link GatewayStatus#FORBIDDEN} or
     *         {@link GatewayStatus#DESKTOP_GONE}; its reason is shown to the user and must not contain the ticket
     */
    ConsoleTarget redeem(TicketRequest request) throws GatewayException;
}
