package io.atrium.gateway;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Broker stand-in: single-use tickets bound to a target, plus tickets that fail in a given way.
 */
final class FakeTicketRedeemer implements TicketRedeemer {

    private final Map<String, ConsoleTarget> valid = new ConcurrentHashMap<>();
    private final Map<String, GatewayStatus> failing = new ConcurrentHashMap<>();
    private final Map<String, Boolean> used = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> redemptions = new ConcurrentHashMap<>();
    private final List<String> issued = new CopyOnWriteArrayList<>();
    private volatile boolean crash;

    /** Issues a fresh single-use ticket for the console on this unix socket. */
    String issue(String desktopId, String username, Path vncSocket) {
        return issue(desktopId, username, ConsoleEndpoint.unix("local", vncSocket));
    }

    /** Issues a fresh single-use ticket for this console. */
    String issue(String desktopId, String username, ConsoleEndpoint console) {
        return issue(desktopId, username, console, ClipboardPolicy.NONE);
    }

    /** Issues a fresh single-use ticket for this console with a clipboard policy. */
    String issue(String desktopId, String username, ConsoleEndpoint console, ClipboardPolicy clipboard) {
        String ticket = newTicket();
        valid.put(ticket, new ConsoleTarget(desktopId, username, console, clipboard));
        return ticket;
    }

    /** Issues a ticket whose redemption fails with {@code status}. */
    String issueFailing(GatewayStatus status) {
        String ticket = newTicket();
        failing.put(ticket, status);
        return ticket;
    }

    /** A ticket value the redeemer has never seen (but the log check still looks for). */
    String madeUp() {
        return newTicket();
    }

    /** Makes every redemption fail with an exception whose message (carelessly) contains the ticket. */
    void crash() {
        crash = true;
    }

    private String newTicket() {
        String ticket = "tkt-" + UUID.randomUUID() + "-" + UUID.randomUUID();
        issued.add(ticket);
        return ticket;
    }

    @Override
    public ConsoleTarget redeem(TicketRequest request) throws GatewayException {
        String ticket = request.ticket();
        redemptions.computeIfAbsent(ticket, t -> new AtomicInteger()).incrementAndGet();
        if (crash) {
            throw new IllegalStateException("database down while looking up " + ticket,
                    new RuntimeException("statement failed for " + ticket));
        }
        GatewayStatus failure = failing.get(ticket);
        if (failure != null) {
            throw new GatewayException(failure);
        }
        ConsoleTarget target = valid.get(ticket);
        if (target == null) {
            throw new GatewayException(GatewayStatus.TICKET_INVALID);
        }
        if (used.putIfAbsent(ticket, Boolean.TRUE) != null) {
            throw new GatewayException(GatewayStatus.TICKET_USED);
        }
        return target;
    }

    int redemptions(String ticket) {
        AtomicInteger count = redemptions.get(ticket);
        return count == null ? 0 : count.get();
    }

    int totalRedemptions() {
        return redemptions.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    List<String> issuedTickets() {
        return List.copyOf(issued);
    }
}
