package io.atrium.vmm.api;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One VM host as a broker sees it. Machines are named (the desktop's name, which is also the guest's
 * hostname); a name is unique on a host.
 *
 * <p>Errors are {@link MachineException}s with a {@link MachineException.Kind}; nothing else is thrown
 * for a failure of the host or of a machine. Every method is thread safe; calls for one machine name
 * must not overlap (the broker serializes them with its desktop lease).
 */
public interface MachineHost {

    /** This host's id, as it appears in {@link ConsoleEndpoint#hostId()} and {@link MachineInfo#hostId()}. */
    String hostId();

    /**
     * Starts the machine and returns once it runs and, for an instant clone, once the guest confirmed its
     * identity (hostname, MAC). A machine of that name that already runs is stopped first. Emits
     * {@link MachineEvent.Started} before returning.
     *
     * @throws MachineException {@code INVALID_SPEC} for a spec this host cannot run (unknown image, a network mode
     *                          it does not offer: see {@link #networking()}, …),
     *                          {@code FAILED} when QEMU or the guest failed (the message says why)
     */
    MachineInfo start(MachineSpec spec);

    /** Kills the machine if it runs. Its exit is reported as {@link MachineEvent.ExitReason#STOPPED}. */
    void stop(String name);

    /**
     * Shuts the machine down gracefully (ACPI power button, up to {@code timeout}, then harder) and returns once
     * it is gone. Its exit is reported as {@link MachineEvent.ExitReason#STOPPED}.
     *
     * @return how it ended; {@link ShutdownOutcome#ALREADY_STOPPED} if it did not run
     */
    ShutdownOutcome shutdown(String name, Duration timeout);

    /**
     * Hard reset (the reset button); the machine keeps running.
     *
     * @throws MachineException {@code NOT_RUNNING} if it does not run
     */
    void reset(String name);

    /** The machine's screen as PNG; empty when it does not run or cannot give one. */
    Optional<byte[]> screendump(String name);

    /**
     * Does something inside the running machine's guest, through its guest agent: set the keyboard layout, list,
     * write or read files. May run while the machine's lifecycle calls run (a transfer while the screen is
     * shown); calls for one machine are serialised by the agent, and a transfer's open file does not outlive the
     * machine.
     *
     * @throws MachineException {@code NOT_RUNNING} if it does not run, {@code GUEST_UNAVAILABLE} if its image has no
     *                          guest agent or the agent does not answer, {@code INVALID_SPEC} for a request the guest
     *                          refuses as such (an unknown handle, a cap), {@code FAILED} when the guest failed it
     *                          (no such file, disk full; the message says why)
     */
    <R extends GuestReply> R guest(String name, GuestRequest<R> request);

    /**
     * What this host is preparing right now (image builds, instant-clone templates), oldest first; empty when
     * nothing is under way.
     */
    List<HostPreparation> preparations();

    /** Stops the machine (as {@link #stop}) and removes its disk and every file of it on this host. */
    void discard(String name);

    /** The machine if it runs on this host. */
    Optional<MachineInfo> find(String name);

    /** Every machine that runs on this host and is managed by this {@link MachineHost}. */
    List<MachineInfo> list();

    /**
     * At start-up: re-attaches machines left running by a previous process of this host (see
     * {@code atrium.vmm.keep-vms-on-exit}) whose names are in {@code keep}, and kills running machines that are
     * not. Re-attached machines report their exit like started ones. After {@link #release()} this re-opens the host
     * (a client that stopped and starts again, e.g. a restarted application context).
     *
     * @return the re-attached machines
     */
    List<MachineInfo> adopt(Set<String> keep);

    /**
     * The process using this host is stopping: machines are detached and keep running when the host is configured
     * to keep VMs on exit, otherwise stopped. No exit events are sent for them. Until the next {@link #adopt} every
     * other call fails with {@code UNAVAILABLE}.
     */
    void release();

    /**
     * What this host can do for desktop networks: the modes it runs safely, why others are missing, its own IPv4
     * networks (which a lab must not overlap) and the lab switches it has now. A host that does not manage networks
     * offers isolated desktops only.
     */
    default HostNetworking networking() {
        return HostNetworking.isolatedOnly("host " + hostId() + " does not manage desktop networks");
    }

    /**
     * Keeps the lab switches in {@code switchIds} and removes every other one: at once when no machine is attached
     * to it, otherwise as soon as its last machine stops (machines on it keep their network until then). A switch is
     * made again by the next {@link #start} that asks for it. Idempotent.
     */
    default void retainNetworks(Set<String> switchIds) {
        // a host that makes no switches has none to remove
    }

    /**
     * Subscribes to this host's events, in order per machine. The listener runs on a host thread and must
     * return quickly (hand work to another thread); exceptions it throws are logged and ignored.
     *
     * @return closing it ends the subscription
     */
    AutoCloseable subscribe(Consumer<MachineEvent> listener);
}
