package io.atrium.broker;

import io.atrium.vmm.api.ConsoleEndpoint;
import io.atrium.vmm.api.HostNetworking;
import io.atrium.vmm.api.Ipv4Subnet;
import io.atrium.vmm.api.GuestReply;
import io.atrium.vmm.api.GuestRequest;
import io.atrium.vmm.api.HostPreparation;
import io.atrium.vmm.api.MachineEvent;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.MachineHost;
import io.atrium.vmm.api.MachineInfo;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.api.ShutdownOutcome;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/**
 * The hypervisor edge, faked behind the machines contract: machines "start" instantly, can be made to crash, and
 * every call is counted. Events go to the listeners synchronously, in the caller's thread, in order.
 */
public class FakeMachineHost implements MachineHost {
    public static final String HOST_ID = "fake";

    private final Map<String, MachineInfo> running = new ConcurrentHashMap<>();
    private final List<Consumer<MachineEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong pids = new AtomicLong(1000);
    public final AtomicInteger starts = new AtomicInteger();
    public final AtomicInteger freshDisks = new AtomicInteger();
    public final AtomicInteger resets = new AtomicInteger();
    public final AtomicInteger shutdowns = new AtomicInteger();
    public final AtomicInteger discards = new AtomicInteger();
    /** Every spec started, in order. */
    public final List<MachineSpec> specs = new CopyOnWriteArrayList<>();
    /** While set, every start fails as QEMU failing would ({@code FAILED}). */
    public final AtomicBoolean failStarts = new AtomicBoolean();
    /** What the host says it can do for networks: every mode, on a host whose own network is 192.0.2.0/24. */
    public volatile HostNetworking networking = new HostNetworking(EnumSet.allOf(MachineSpec.NetworkMode.class), "",
            List.of(Ipv4Subnet.parse("192.0.2.0/24"), Ipv4Subnet.parse("169.254.240.0/24")), List.of());
    /** Every {@link #retainNetworks} call, in order. */
    public final List<Set<String>> retained = new CopyOnWriteArrayList<>();
    /** Image versions whose machines fail to start (a broken version). */
    public final java.util.Set<String> failVersions = ConcurrentHashMap.newKeySet();

    /** Guest file systems by machine name: path → content. Machines of images without an agent have none. */
    public final Map<String, Map<String, byte[]>> guestFiles = new ConcurrentHashMap<>();
    /** The keyboard layout each machine's guest was last given ("de" or "ch:fr"). */
    public final Map<String, String> keyboardLayouts = new ConcurrentHashMap<>();
    /** What {@link #preparations()} reports. */
    public final List<HostPreparation> preparing = new CopyOnWriteArrayList<>();
    /** Images whose machines have no guest agent (the console guest's, as on a real host). */
    public final Set<String> imagesWithoutAgent = ConcurrentHashMap.newKeySet();
    private final Map<String, String> openFiles = new ConcurrentHashMap<>();
    private final Map<String, java.io.ByteArrayOutputStream> writing = new ConcurrentHashMap<>();
    private final Map<String, Integer> reading = new ConcurrentHashMap<>();
    private final AtomicLong handles = new AtomicLong();

    public FakeMachineHost() {
    }

    /** A host whose starts fail from the beginning (for start-up tests). */
    public FakeMachineHost(boolean failStarts) {
        this.failStarts.set(failStarts);
    }

    @Override
    public String hostId() {
        return HOST_ID;
    }

    @Override
    public MachineInfo start(MachineSpec spec) {
        stop(spec.name());
        starts.incrementAndGet();
        specs.add(spec);
        if (failStarts.get() || spec.image().version().filter(failVersions::contains).isPresent()) {
            throw new MachineException(MachineException.Kind.FAILED, "machine " + spec.name() + ": QEMU failed (fake)");
        }
        if (!networking.supports(spec.network().mode())) {
            throw new MachineException(MachineException.Kind.INVALID_SPEC, "machine " + spec.name() + ": this host "
                    + "cannot run " + spec.network().mode() + " (fake)");
        }
        if (spec.disk() == MachineSpec.DiskPolicy.FRESH) {
            freshDisks.incrementAndGet();
            guestFiles.remove(spec.name()); // the files in a guest live on its disk
        }
        MachineInfo info = new MachineInfo(spec.name(), HOST_ID, pids.incrementAndGet(), MachineInfo.BootKind.COLD_BOOT,
                ConsoleEndpoint.unix(HOST_ID, "/tmp/fake-vnc/" + spec.name()), Instant.now());
        running.put(spec.name(), info);
        emit(new MachineEvent.Started(spec.name(), info.startedAt(), info));
        emit(new MachineEvent.Ready(spec.name(), Instant.now()));
        return info;
    }

    @Override
    public void stop(String name) {
        if (running.remove(name) != null) {
            exited(name, MachineEvent.ExitReason.STOPPED);
        }
    }

    @Override
    public ShutdownOutcome shutdown(String name, Duration timeout) {
        if (running.remove(name) == null) {
            return ShutdownOutcome.ALREADY_STOPPED;
        }
        shutdowns.incrementAndGet();
        exited(name, MachineEvent.ExitReason.STOPPED);
        return ShutdownOutcome.GRACEFUL;
    }

    @Override
    public void reset(String name) {
        if (!running.containsKey(name)) {
            throw new MachineException(MachineException.Kind.NOT_RUNNING, "machine " + name + " does not run");
        }
        resets.incrementAndGet();
    }

    @Override
    public Optional<byte[]> screendump(String name) {
        if (!running.containsKey(name)) {
            return Optional.empty();
        }
        try (var out = new ByteArrayOutputStream()) {
            ImageIO.write(new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB), "png", out);
            return Optional.of(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <R extends GuestReply> R guest(String name, GuestRequest<R> request) {
        MachineInfo info = running.get(name);
        if (info == null) {
            throw new MachineException(MachineException.Kind.NOT_RUNNING, "machine " + name + " does not run");
        }
        MachineSpec spec = specs.stream().filter(s -> s.name().equals(name)).reduce((a, b) -> b).orElseThrow();
        if (imagesWithoutAgent.contains(spec.image().name())) {
            throw new MachineException(MachineException.Kind.GUEST_UNAVAILABLE, "machine " + name + " has no agent");
        }
        Map<String, byte[]> files = guestFiles.computeIfAbsent(name, k -> new ConcurrentHashMap<>());
        GuestReply reply = switch (request) {
            case GuestRequest.SetKeyboardLayout k -> {
                keyboardLayouts.put(name, k.variant().isEmpty() ? k.layout() : k.layout() + ":" + k.variant());
                yield GuestReply.Done.DONE;
            }
            case GuestRequest.MakeDirectory m -> GuestReply.Done.DONE;
            case GuestRequest.ListFiles l -> new GuestReply.Files(files.entrySet().stream()
                    .filter(e -> e.getKey().startsWith(l.directory() + "/")
                            && e.getKey().indexOf('/', l.directory().length() + 1) < 0)
                    .map(e -> new GuestReply.GuestFile(e.getKey().substring(l.directory().length() + 1),
                            e.getValue().length, Instant.EPOCH)).sorted(java.util.Comparator.comparing(
                                    GuestReply.GuestFile::name)).limit(l.max()).toList());
            case GuestRequest.OpenFile o -> {
                if (o.mode() == GuestRequest.Mode.READ && !files.containsKey(o.path())) {
                    throw new MachineException(MachineException.Kind.FAILED, "no such file");
                }
                String handle = "h" + handles.incrementAndGet();
                openFiles.put(handle, name + "\0" + o.path());
                if (o.mode() == GuestRequest.Mode.WRITE) {
                    writing.put(handle, new java.io.ByteArrayOutputStream());
                    files.put(o.path(), new byte[0]);
                } else {
                    reading.put(handle, 0);
                }
                yield new GuestReply.Opened(handle);
            }
            case GuestRequest.WriteFile w -> {
                java.io.ByteArrayOutputStream out = writing.get(w.handle());
                if (out == null) {
                    throw new MachineException(MachineException.Kind.INVALID_SPEC, "unknown handle");
                }
                out.writeBytes(w.data());
                files.put(path(w.handle()), out.toByteArray());
                yield new GuestReply.Written(w.data().length);
            }
            case GuestRequest.ReadFile r -> {
                Integer at = reading.get(r.handle());
                if (at == null) {
                    throw new MachineException(MachineException.Kind.INVALID_SPEC, "unknown handle");
                }
                byte[] all = files.get(path(r.handle()));
                int n = Math.min(r.maxBytes(), all.length - at);
                reading.put(r.handle(), at + n);
                yield new GuestReply.Chunk(java.util.Arrays.copyOfRange(all, at, at + n), at + n >= all.length);
            }
            case GuestRequest.CloseFile c -> {
                openFiles.remove(c.handle());
                writing.remove(c.handle());
                reading.remove(c.handle());
                yield GuestReply.Done.DONE;
            }
            case GuestRequest.RenameFile r -> {
                byte[] content = files.remove(r.from());
                if (content == null) {
                    throw new MachineException(MachineException.Kind.FAILED, "no such file");
                }
                files.put(r.to(), content);
                yield GuestReply.Done.DONE;
            }
            case GuestRequest.DeleteFile d -> {
                files.remove(d.path());
                yield GuestReply.Done.DONE;
            }
        };
        return (R) reply;
    }

    private String path(String handle) {
        String entry = openFiles.get(handle);
        return entry.substring(entry.indexOf('\0') + 1);
    }

    @Override
    public List<HostPreparation> preparations() {
        return List.copyOf(preparing);
    }

    @Override
    public void discard(String name) {
        stop(name);
        discards.incrementAndGet();
    }

    @Override
    public Optional<MachineInfo> find(String name) {
        return Optional.ofNullable(running.get(name));
    }

    @Override
    public List<MachineInfo> list() {
        return List.copyOf(running.values());
    }

    /** Nothing survives a fake host's process: keeps the named machines it runs, stops the others. */
    @Override
    public List<MachineInfo> adopt(Set<String> keep) {
        running.keySet().stream().filter(n -> !keep.contains(n)).toList().forEach(this::stop);
        return List.copyOf(running.values());
    }

    @Override
    public void release() {
        running.clear();
    }

    @Override
    public HostNetworking networking() {
        return networking;
    }

    @Override
    public void retainNetworks(Set<String> switchIds) {
        retained.add(Set.copyOf(switchIds));
    }

    /** The last spec started for the machine of that name. */
    public Optional<MachineSpec> lastSpec(String name) {
        MachineSpec last = null;
        for (MachineSpec s : specs) {
            if (s.name().equals(name)) {
                last = s;
            }
        }
        return Optional.ofNullable(last);
    }

    @Override
    public AutoCloseable subscribe(Consumer<MachineEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Whether a machine of that name runs. */
    public boolean isRunning(String name) {
        return running.containsKey(name);
    }

    /** Simulates the machine dying on its own (QEMU crashed or was killed). */
    public void crash(String name) {
        if (running.remove(name) != null) {
            exited(name, MachineEvent.ExitReason.UNEXPECTED);
        }
    }

    private void exited(String name, MachineEvent.ExitReason reason) {
        emit(new MachineEvent.Exited(name, Instant.now(), reason, reason == MachineEvent.ExitReason.UNEXPECTED ? 137 : 0,
                reason == MachineEvent.ExitReason.UNEXPECTED ? "killed (fake)" : "stopped (fake)"));
    }

    private void emit(MachineEvent event) {
        for (Consumer<MachineEvent> listener : listeners) {
            listener.accept(event);
        }
    }
}
