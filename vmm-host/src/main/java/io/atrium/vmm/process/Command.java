package io.atrium.vmm.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A host command to run with {@link ProcessRunner}: what to run and how. Immutable; the
 * {@code with…} methods return changed copies.
 *
 * <pre>{@code
 * ProcessRunner.run(Command.of("qemu-img", "info", "--output=json", disk.toString())
 *         .withTimeout(Duration.ofSeconds(30)));
 * }</pre>
 *
 * <p>Standard input is always {@code /dev/null}: no tool run this way may wait for input.
 *
 * @param argv the program (a name looked up on PATH, or a path) and its arguments; never empty
 * @param directory working directory, or {@code null} for the JVM's
 * @param environment variables set on top of the JVM's environment (e.g. {@code LC_ALL=C})
 * @param timeout how long the command may run before it and its descendants are killed
 * @param mergeErrors {@code true} to read standard error into the same buffer as standard output
 *     (in the order written), {@code false} to keep them apart
 * @param outputLimit how many bytes of each stream are kept (the tail); more is read and dropped
 * @param purpose what needs the tool, for the message when it is missing (e.g. "guest image
 *     build"), or {@code null}
 */
public record Command(List<String> argv, Path directory, Map<String, String> environment, Duration timeout,
        boolean mergeErrors, int outputLimit, String purpose) {

    /** The timeout of a command made by {@link #of}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    /** How much of each output stream is kept by default: the last MiB. */
    public static final int DEFAULT_OUTPUT_LIMIT = 1 << 20;

    public Command {
        argv = List.copyOf(Objects.requireNonNull(argv, "argv"));
        if (argv.isEmpty() || argv.getFirst().isBlank()) {
            throw new IllegalArgumentException("argv must name a program");
        }
        environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        if (outputLimit < 1) {
            throw new IllegalArgumentException("outputLimit must be positive: " + outputLimit);
        }
    }

    /** {@code argv} in the JVM's directory and environment, streams apart, the default timeout and limit. */
    public static Command of(List<String> argv) {
        return new Command(argv, null, Map.of(), DEFAULT_TIMEOUT, false, DEFAULT_OUTPUT_LIMIT, null);
    }

    /** @see #of(List) */
    public static Command of(String... argv) {
        return of(List.of(argv));
    }

    public Command withDirectory(Path value) {
        return new Command(argv, value, environment, timeout, mergeErrors, outputLimit, purpose);
    }

    /** Adds (or replaces) environment variables. */
    public Command withEnvironment(Map<String, String> values) {
        Map<String, String> merged = new LinkedHashMap<>(environment);
        merged.putAll(values);
        return new Command(argv, directory, merged, timeout, mergeErrors, outputLimit, purpose);
    }

    public Command withTimeout(Duration value) {
        return new Command(argv, directory, environment, value, mergeErrors, outputLimit, purpose);
    }

    /** Standard error goes into the same buffer as standard output. */
    public Command mergingErrors() {
        return new Command(argv, directory, environment, timeout, true, outputLimit, purpose);
    }

    public Command withOutputLimit(int bytes) {
        return new Command(argv, directory, environment, timeout, mergeErrors, bytes, purpose);
    }

    /** Names what needs the tool, for the message when it is missing. */
    public Command neededBy(String value) {
        return new Command(argv, directory, environment, timeout, mergeErrors, outputLimit, value);
    }

    /** The program as given (not resolved). */
    public String program() {
        return argv.getFirst();
    }

    /** The command line as one string, for messages. */
    public String display() {
        return String.join(" ", argv);
    }
}
