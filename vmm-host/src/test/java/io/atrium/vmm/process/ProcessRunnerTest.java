package io.atrium.vmm.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessRunnerTest {

    /** Background processes a test started; killed after it, whatever happened. */
    private final List<Long> leftovers = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        leftovers.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void aHungCommandIsKilledAtItsTimeout() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> ProcessRunner.run(Command.of("sleep", "30").withTimeout(Duration.ofSeconds(1))))
                .isInstanceOf(ProcessTimeoutException.class)
                .hasMessageContaining("sleep 30")
                .hasMessageContaining("did not finish within 1 s")
                .satisfies(e -> assertThat(((ProcessTimeoutException) e).timeout()).isEqualTo(Duration.ofSeconds(1)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("hung command failed after %d ms%n", ms);
        assertThat(ms).isBetween(900L, 3000L);
    }

    @Test
    void theTimeoutAlsoKillsWhatTheCommandStarted() {
        // the shell prints its child's pid, then waits for it
        ProcessTimeoutException timeout = (ProcessTimeoutException) org.assertj.core.api.Assertions.catchThrowable(
                () -> ProcessRunner.run(Command.of("sh", "-c", "sleep 30 & echo $!; wait")
                        .withTimeout(Duration.ofSeconds(1))));
        assertThat(timeout).isNotNull().hasMessageContaining("killed it and 1 processes it started");
        long child = Long.parseLong(timeout.output().strip());
        leftovers.add(child);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> ProcessHandle.of(child).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void aChildKeepingStdoutOpenDoesNotHoldTheCaller() {
        long start = System.nanoTime();
        ProcessResult result = ProcessRunner.run(Command.of("sh", "-c", "sleep 30 & echo $!; echo started")
                .withTimeout(Duration.ofSeconds(20)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        List<String> lines = result.stdout().lines().toList();
        leftovers.add(Long.parseLong(lines.getFirst()));
        System.out.printf("command with a background child returned after %d ms%n", ms);
        assertThat(lines).last().isEqualTo("started");
        assertThat(result.exitCode()).isZero();
        assertThat(ms).isLessThan(4000);
    }

    @Test
    void aChildKeepingStdoutOpenPastTheTimeoutFailsInTime() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> ProcessRunner.run(Command.of("sh", "-c", "sleep 30 & echo started; sleep 30")
                .withTimeout(Duration.ofSeconds(1))))
                .isInstanceOf(ProcessTimeoutException.class)
                .hasMessageContaining("started")
                .hasMessageContaining("killed it and 2 processes it started");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000);
    }

    @Test
    void exitCodesAndOutputAreReported() {
        Command command = Command.of("sh", "-c", "echo out; echo err >&2; exit 3");
        ProcessResult result = ProcessRunner.execute(command);
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.succeeded()).isFalse();
        assertThat(result.stdout()).isEqualTo("out\n");
        assertThat(result.stderr()).isEqualTo("err\n");
        assertThat(result.detail()).isEqualTo("err");
        assertThat(result.truncated()).isFalse();

        assertThatThrownBy(() -> ProcessRunner.run(command))
                .isInstanceOf(ProcessFailedException.class)
                .hasMessage("sh -c echo out; echo err >&2; exit 3 failed (exit 3): err")
                .satisfies(e -> assertThat(((ProcessFailedException) e).exitCode()).isEqualTo(3));

        ProcessResult merged = ProcessRunner.execute(command.mergingErrors());
        assertThat(merged.stdout()).isEqualTo("out\nerr\n");
        assertThat(merged.stderr()).isEmpty();
        assertThat(ProcessRunner.run(Command.of("sh", "-c", "printf ok")).stdout()).isEqualTo("ok");
    }

    @Test
    void aMissingToolNamesItsDebianPackage() {
        assertThatThrownBy(() -> ProcessRunner.run(Command.of("/nonexistent/qemu-img", "info", "x")))
                .isInstanceOf(ToolNotFoundException.class)
                .hasMessage("required tool '/nonexistent/qemu-img' not found: install the Debian package qemu-utils"
                        + " (apt-get install qemu-utils)")
                .satisfies(e -> assertThat(((ToolNotFoundException) e).debianPackage()).contains("qemu-utils"));
        assertThatThrownBy(() -> ProcessRunner.run(Command.of("/nonexistent/debootstrap").neededBy("guest image build")))
                .hasMessage("guest image build needs '/nonexistent/debootstrap', which was not found: install the"
                        + " Debian package debootstrap (apt-get install debootstrap)");
        assertThatThrownBy(() -> ProcessRunner.requireTool("atrium-no-such-tool"))
                .isInstanceOf(ToolNotFoundException.class)
                .hasMessage("required tool 'atrium-no-such-tool' not found");
        assertThat(ProcessRunner.requireTool("sh")).isAbsolute();
    }

    @Test
    void outputIsBoundedToItsTail() {
        ProcessResult result = ProcessRunner.run(Command.of("sh", "-c",
                "head -c 3000000 /dev/zero | tr '\\0' a; echo END").withOutputLimit(1 << 20));
        assertThat(result.truncated()).isTrue();
        assertThat(result.stdout()).hasSize(1 << 20).endsWith("aaaEND\n");
    }

    @Test
    void directoryEnvironmentAndStdin(@TempDir Path dir) {
        ProcessResult result = ProcessRunner.run(Command.of("sh", "-c", "pwd; echo $ATRIUM_TEST")
                .withDirectory(dir).withEnvironment(Map.of("ATRIUM_TEST", "value")));
        assertThat(result.stdout()).isEqualTo(realPath(dir) + "\nvalue\n");
        // stdin is /dev/null: cat ends at once instead of waiting for input
        assertThat(ProcessRunner.run(Command.of("cat").withTimeout(Duration.ofSeconds(10))).stdout()).isEmpty();
    }

    @Test
    void tailBufferKeepsTheLastBytesWhateverTheChunks() {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            int capacity = 1 + random.nextInt(64);
            byte[] all = new byte[random.nextInt(300)];
            random.nextBytes(all);
            TailBuffer buffer = new TailBuffer(capacity);
            for (int offset = 0; offset < all.length; ) {
                int chunk = Math.min(all.length - offset, random.nextInt(2 * capacity + 2));
                buffer.append(all, offset, chunk);
                offset += chunk;
            }
            byte[] expected = Arrays.copyOfRange(all, Math.max(0, all.length - capacity), all.length);
            assertThat(buffer.bytes()).as("capacity %d, %d bytes", capacity, all.length).isEqualTo(expected);
            assertThat(buffer.truncated()).isEqualTo(all.length > capacity);
            assertThat(buffer.total()).isEqualTo(all.length);
        }
        TailBuffer text = new TailBuffer(4);
        text.append("hello".getBytes(StandardCharsets.UTF_8), 0, 5);
        assertThat(text.text()).isEqualTo("ello");
    }

    private static Path realPath(Path dir) {
        try {
            return dir.toRealPath();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
