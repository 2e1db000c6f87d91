package io.atrium.vmm.network;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.process.Command;
import io.atrium.vmm.process.ProcessResult;
import io.atrium.vmm.process.ProcessRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The host commands of desktop networks ({@code ip}, {@code nft}, {@code sysctl}, daemons), all through the one
 * {@link ProcessRunner}, each with the configured timeout. A failed command is a {@link VmmException} naming it and
 * quoting its output.
 */
final class HostCommands {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Duration timeout;

    HostCommands(Duration timeout) {
        this.timeout = timeout;
    }

    /** Runs {@code argv}; exit status 0 is required. */
    ProcessResult run(List<String> argv) {
        return ProcessRunner.run(Command.of(argv).withTimeout(timeout).neededBy("desktop networks"));
    }

    /** Runs {@code argv} and returns how it ended (any exit status). */
    ProcessResult execute(List<String> argv) {
        return ProcessRunner.execute(Command.of(argv).withTimeout(timeout).neededBy("desktop networks"));
    }

    /** {@code ip <args>} in the host's namespace. */
    ProcessResult ip(String... args) {
        return run(concat(List.of("ip"), args));
    }

    /** {@code ip -n <namespace> <args>}: an ip command about the links of a namespace. */
    ProcessResult ipIn(String namespace, String... args) {
        return run(concat(List.of("ip", "-n", namespace), args));
    }

    /** {@code ip netns exec <namespace> <argv>}: a program run inside the namespace. */
    ProcessResult inNamespace(String namespace, String... argv) {
        return run(concat(List.of("ip", "netns", "exec", namespace), argv));
    }

    /** {@code ip -j <args>} parsed. */
    JsonNode ipJson(String... args) {
        String out = run(concat(List.of("ip", "-j"), args)).stdout().strip();
        return JSON.readTree(out.isEmpty() ? "[]" : out);
    }

    /** The network namespaces that exist ({@code /run/netns}). */
    List<String> namespaces() {
        Path dir = Path.of("/run/netns");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new VmmException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    boolean namespaceExists(String name) {
        return Files.exists(Path.of("/run/netns", name));
    }

    /** Deletes the namespace if it exists (its links go with it). */
    void deleteNamespace(String name) {
        if (namespaceExists(name)) {
            ProcessResult r = execute(List.of("ip", "netns", "del", name));
            if (!r.succeeded() && namespaceExists(name)) {
                throw new VmmException("ip netns del " + name + " failed: " + r.detail());
            }
        }
    }

    boolean linkExists(String name) {
        return Files.exists(Path.of("/sys/class/net", name));
    }

    /** Applies an nftables ruleset file in the host's namespace, or inside {@code namespace}. */
    void nft(Optional<String> namespace, Path rules) {
        if (namespace.isPresent()) {
            inNamespace(namespace.get(), "nft", "-f", rules.toString());
        } else {
            run(List.of("nft", "-f", rules.toString()));
        }
    }

    /** Whether the host's namespace has the nftables table {@code inet <name>}. */
    boolean nftTableExists(String name) {
        return execute(List.of("nft", "list", "table", "inet", name)).succeeded();
    }

    void deleteNftTable(String name) {
        if (nftTableExists(name)) {
            run(List.of("nft", "delete", "table", "inet", name));
        }
    }

    /** Sets a sysctl inside {@code namespace}. */
    void sysctlIn(String namespace, String key, String value) {
        inNamespace(namespace, "sysctl", "-q", "-w", key + "=" + value);
    }

    /**
     * Reads a per-interface sysctl of the host's namespace ({@code /proc/sys/net/...}); empty if the interface has
     * none.
     */
    Optional<String> readHostSysctl(String path) {
        try {
            return Optional.of(Files.readString(Path.of("/proc/sys", path)).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Writes a sysctl of the host's namespace ({@code /proc/sys/net/...}). */
    void writeHostSysctl(String path, String value) {
        try {
            Files.writeString(Path.of("/proc/sys", path), value);
        } catch (IOException e) {
            throw new VmmException("cannot set " + path.replace('/', '.') + "=" + value + ": " + e.getMessage(), e);
        }
    }

    /**
     * The pid in {@code pidFile} if that process is alive and its command line contains {@code marker} (so a stale
     * pid file of a reused pid is never believed).
     */
    static OptionalLong livePid(Path pidFile, String marker) {
        long pid;
        try {
            if (!Files.isRegularFile(pidFile)) {
                return OptionalLong.empty();
            }
            pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
        return commandLine(pid).contains(marker) ? OptionalLong.of(pid) : OptionalLong.empty();
    }

    /** The command line of a process, arguments joined by spaces; empty if it is gone. */
    static String commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Every live process whose command line contains {@code marker}. */
    static List<Long> processesWith(String marker) {
        List<Long> found = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            if (p.pid() != ProcessHandle.current().pid() && commandLine(p.pid()).contains(marker)) {
                found.add(p.pid());
            }
        });
        return found;
    }

    /** SIGTERM, then SIGKILL after a second; returns once the process is gone (or 5 s passed). */
    static void stop(long pid) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty()) {
            return;
        }
        handle.get().destroy();
        try {
            handle.get().onExit().get(1, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            handle.get().destroyForcibly();
            try {
                handle.get().onExit().get(4, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // reported by the caller's checks
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException ignored) {
            // gone
        }
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(Arrays.asList(tail));
        return all;
    }
}
