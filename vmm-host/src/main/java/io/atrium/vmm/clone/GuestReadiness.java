package io.atrium.vmm.clone;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qga.QgaClient;
import io.atrium.vmm.qga.QgaExecResult;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * When a booting disk-boot guest counts as up: its <b>first real frame</b>, a screen that a firmware or a bootloader
 * cannot produce. Screens are captured every poll from the moment QEMU runs.
 *
 * <ul>
 *   <li><b>With the QEMU guest agent</b> (the VM has the channel and {@code qemu-ga} answers a ping: only a running
 *       operating system can): the guest's uptime ({@code /proc/uptime} through {@code guest-exec}) tells when its
 *       kernel started; every screen captured before that instant plus {@link #KERNEL_TAKEOVER} is a firmware or
 *       bootloader screen (or what they left behind). The first screen after the agent answered that is not
 *       uniform and differs from all of those is the first real frame. If the uptime cannot be read, the first
 *       write to the disk stands in for the kernel's start (firmwares and bootloaders only read).</li>
 *   <li><b>Without an agent</b>: after the guest first wrote to its disk ({@code query-blockstats}), a screen that
 *       is not uniform, differs from every screen before that write and stays unchanged for {@link #STABLE} counts;
 *       such a guest is reported as having no agent (it can only be cold-booted). When the VM has the agent channel,
 *       the agent is still given the agent grace ({@link #AGENT_GRACE} by default) after that write to answer (an agent
 *       that starts later than that on a slow host is missed: the version is then cold-boot only until it is
 *       boot-tested again).</li>
 * </ul>
 * A guest that never leaves its firmware or bootloader therefore never passes: it neither answers the agent nor
 * writes, and its screens are the ones captured before.
 */
public final class GuestReadiness {
    private static final Logger log = LoggerFactory.getLogger(GuestReadiness.class);
    /** Screens up to this long after the guest kernel started still count as what the bootloader left. */
    public static final Duration KERNEL_TAKEOVER = Duration.ofSeconds(1);
    /** How long an unchanged screen must stay, without an agent. */
    public static final Duration STABLE = Duration.ofSeconds(3);
    /** How long the agent may still take to answer after the disk-write rule passed. */
    public static final Duration AGENT_GRACE = Duration.ofSeconds(90);
    private static final Duration POLL = Duration.ofMillis(500);

    /**
     * How the guest came up.
     *
     * @param agent           the QEMU guest agent answered
     * @param agentAfter      when it first answered, from the start (or null)
     * @param frameAfter      when the first real frame was captured, from the start
     * @param firmwareScreens how many distinct screens counted as firmware or bootloader screens
     * @param rule            which rule passed, in words (for the version's log)
     * @param frame           the first real frame (PNG)
     */
    public record Report(boolean agent, Duration agentAfter, Duration frameAfter, int firmwareScreens, String rule,
                         byte[] frame) {
    }

    private record Screen(long atNanos, String hash, boolean uniform, byte[] png) {
    }

    private GuestReadiness() {
    }

    /**
     * Watches {@code vm} (started just now) until its first real frame.
     *
     * @param useAgent whether the VM has the QEMU guest agent channel
     * @throws VmmException when it does not come up within {@code timeout} (the message says what was seen) or stops
     */
    public static Report await(QemuVm vm, boolean useAgent, Duration timeout) {
        return await(vm, useAgent, timeout, AGENT_GRACE);
    }

    /**
     * {@link #await(QemuVm, boolean, Duration)} with another grace for the agent after the disk-write rule passed
     * (the default is {@link #AGENT_GRACE}).
     */
    public static Report await(QemuVm vm, boolean useAgent, Duration timeout, Duration agentGrace) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        List<Screen> screens = new ArrayList<>();
        Long agentAt = null;
        Long kernelStart = null;
        Long firstWrite = null;
        while (true) {
            if (!vm.isRunning()) {
                throw new VmmException("VM " + vm.name() + " stopped before its first real frame\n--- qemu.log ---\n"
                        + vm.qemuLogTail(10));
            }
            long now = System.nanoTime();
            Screen screen = capture(vm, now);
            if (screen != null) {
                screens.add(screen);
            }
            if (firstWrite == null && diskWrites(vm) > 0) {
                firstWrite = now;
            }
            if (useAgent && agentAt == null && Files.exists(vm.layout().qgaSocket())) {
                Double uptime = agentUptime(vm);
                if (uptime != null) {
                    agentAt = System.nanoTime();
                    kernelStart = uptime.isNaN() ? null : agentAt - (long) (uptime * 1e9);
                    log.info("VM {}: the guest agent answered after {} ms (guest uptime {} s)", vm.name(),
                            (agentAt - start) / 1_000_000, uptime.isNaN() ? "unknown" : String.format(Locale.ROOT,
                                    "%.1f", uptime));
                }
            }
            if (screen != null && agentAt != null) {
                long cutoff = kernelStart != null ? kernelStart + KERNEL_TAKEOVER.toNanos()
                        : firstWrite != null ? firstWrite : agentAt;
                Set<String> before = hashesBefore(screens, cutoff);
                if (!screen.uniform() && screen.atNanos() >= agentAt && !before.contains(screen.hash())) {
                    return new Report(true, Duration.ofNanos(agentAt - start), Duration.ofNanos(now - start),
                            before.size(), "the QEMU guest agent answered and the screen differs from the "
                            + before.size() + " firmware/bootloader screen(s) captured before the guest kernel started",
                            screen.png());
                }
            } else if (screen != null && firstWrite != null
                    && (!useAgent || now - firstWrite > agentGrace.toNanos())) {
                Set<String> before = hashesBefore(screens, firstWrite);
                if (!screen.uniform() && !before.contains(screen.hash()) && stableSince(screens, now - STABLE.toNanos())) {
                    return new Report(false, null, Duration.ofNanos(now - start), before.size(),
                            "no guest agent; the guest wrote to its disk and its screen differs from the "
                            + before.size() + " screen(s) before that write and stayed for " + STABLE.toSeconds()
                            + " s", screen.png());
                }
            }
            if (System.nanoTime() > deadline) {
                Screen last = screens.isEmpty() ? null : screens.getLast();
                throw new VmmException("VM " + vm.name() + " showed no real frame within " + timeout.toSeconds()
                        + " s: guest agent " + (agentAt != null ? "answered" : useAgent ? "never answered" : "absent")
                        + ", disk " + (firstWrite != null ? "written" : "never written") + ", "
                        + screens.stream().map(Screen::hash).distinct().count() + " distinct screen(s), the last "
                        + (last == null ? "missing" : last.uniform() ? "uniform (blank)" : "not uniform"));
            }
            sleep(POLL);
        }
    }

    /**
     * The guest's uptime in seconds if its agent answers (NaN when it answers but the uptime cannot be read);
     * null when no agent answers within a second.
     */
    private static Double agentUptime(QemuVm vm) {
        try (QgaClient qga = QgaClient.connect(vm.layout().qgaSocket(), Duration.ofSeconds(1))) {
            qga.ping();
            try {
                QgaExecResult r = qga.exec(List.of("cat", "/proc/uptime"), Duration.ofSeconds(20));
                String[] parts = r.stdoutText().strip().split("\\s+");
                return r.succeeded() && parts.length > 0 ? Double.parseDouble(parts[0]) : Double.NaN;
            } catch (VmmException | NumberFormatException e) {
                return Double.NaN;
            }
        } catch (VmmException e) {
            return null;
        }
    }

    private static long diskWrites(QemuVm vm) {
        try {
            for (JsonNode device : vm.qmp().execute("query-blockstats")) {
                if ("disk0".equals(device.path("device").asString(""))) {
                    return device.path("stats").path("wr_operations").asLong(0);
                }
            }
        } catch (VmmException e) {
            log.debug("VM {}: query-blockstats: {}", vm.name(), e.getMessage());
        }
        return 0;
    }

    private static Screen capture(QemuVm vm, long now) {
        try {
            byte[] png = vm.screendumpPng();
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            if (image == null) {
                return null;
            }
            int w = image.getWidth();
            int h = image.getHeight();
            int[] pixels = image.getRGB(0, 0, w, h, null, 0, w);
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(ByteBuffer.allocate(8).putInt(w).putInt(h).array());
            ByteBuffer buffer = ByteBuffer.allocate(pixels.length * 4);
            buffer.asIntBuffer().put(pixels);
            digest.update(buffer.array());
            Map<Integer, Integer> counts = new HashMap<>();
            for (int p : pixels) {
                counts.merge(p & 0xffffff, 1, Integer::sum);
            }
            int most = counts.values().stream().max(Integer::compare).orElse(0);
            boolean uniform = pixels.length - most < pixels.length / 200;
            return new Screen(now, HexFormat.of().formatHex(digest.digest()), uniform, png);
        } catch (VmmException | IOException e) {
            log.debug("VM {}: no screendump: {}", vm.name(), e.getMessage());
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Set<String> hashesBefore(List<Screen> screens, long cutoff) {
        return screens.stream().filter(s -> s.atNanos() <= cutoff).map(Screen::hash).collect(Collectors.toSet());
    }

    private static boolean stableSince(List<Screen> screens, long since) {
        if (screens.isEmpty() || screens.getFirst().atNanos() > since) {
            return false;
        }
        String last = screens.getLast().hash();
        return screens.stream().filter(s -> s.atNanos() >= since).allMatch(s -> s.hash().equals(last));
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while waiting for a guest", e);
        }
    }
}
