package io.atrium.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.VmmProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirTest {

    @TempDir
    Path tmp;

    @Test
    void namesEveryFileOfTheRunDirectory() {
        RunDir run = RunDir.of(Path.of("/r/x/../desk-1"));
        assertThat(run.dir()).isEqualTo(Path.of("/r/desk-1"));
        assertThat(run.vmName()).isEqualTo("desk-1");
        assertThat(run.qmpSocket()).isEqualTo(Path.of("/r/desk-1/qmp.sock"));
        assertThat(run.vncDir()).isEqualTo(Path.of("/r/desk-1/vnc"));
        assertThat(run.vncSocket()).isEqualTo(Path.of("/r/desk-1/vnc/vnc.sock"));
        assertThat(run.agentSocket()).isEqualTo(Path.of("/r/desk-1/agent.sock"));
        assertThat(run.qgaSocket()).isEqualTo(Path.of("/r/desk-1/qga.sock"));
        assertThat(run.sockets()).contains(run.qgaSocket());
        assertThat(run.incomingSocket()).isEqualTo(Path.of("/r/desk-1/incoming.sock"));
        assertThat(run.migrateSocket()).isEqualTo(Path.of("/r/desk-1/migrate.sock"));
        assertThat(run.serialLog()).isEqualTo(Path.of("/r/desk-1/serial.log"));
        assertThat(run.qemuLog()).isEqualTo(Path.of("/r/desk-1/qemu.log"));
        assertThat(run.pidFile()).isEqualTo(Path.of("/r/desk-1/qemu.pid"));
        assertThat(run.argsFile()).isEqualTo(Path.of("/r/desk-1/qemu.args"));
        assertThat(run.overlay()).isEqualTo(Path.of("/r/desk-1/disk.qcow2"));
        assertThat(run.screendumpFile().getParent()).isEqualTo(run.dir());
        assertThat(run.screendumpFile().getFileName().toString()).startsWith("screen-").endsWith(".png");
        assertThat(run.logs()).containsExactly(run.qemuLog(), run.serialLog(), run.argsFile());
        assertThat(RunDir.of(VmmProperties.defaults(Path.of("/data")), "desk-2").dir())
                .isEqualTo(Path.of("/data/run/desk-2"));
    }

    @Test
    void prepareMakesPrivateDirectoriesAndRemovesWhatAnEarlierQemuLeft() throws Exception {
        RunDir run = RunDir.of(tmp.resolve("vm"));
        Files.createDirectories(run.vncDir());
        for (Path stale : run.sockets()) {
            Files.writeString(stale, "stale");
        }
        Files.writeString(run.pidFile(), "12345");
        Files.writeString(run.serialLog(), "old boot");
        Files.writeString(run.overlay(), "disk");

        run.prepare();

        assertThat(Files.getPosixFilePermissions(run.dir())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(run.vncDir())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(run.sockets()).allSatisfy(socket -> assertThat(socket).doesNotExist());
        assertThat(run.pidFile()).doesNotExist();
        assertThat(run.serialLog()).hasContent("old boot");
        assertThat(run.overlay()).hasContent("disk");
    }

    @Test
    void aPidFileIsBelievedOnlyForALiveQemuOfThisDirectory() throws Exception {
        RunDir run = RunDir.of(tmp.resolve("vm"));
        assertThat(run.livePid()).isEmpty();
        Files.createDirectories(run.dir());
        Files.writeString(run.pidFile(), "not a pid");
        assertThat(run.livePid()).isEmpty();
        // this JVM is alive, but it is no QEMU for this directory
        Files.writeString(run.pidFile(), Long.toString(ProcessHandle.current().pid()));
        assertThat(run.livePid()).isEmpty();
    }

    @Test
    void tailQuotesTheEndOfALog() throws Exception {
        Path log = tmp.resolve("serial.log");
        assertThat(RunDir.tail(log, 2)).isEqualTo("(serial.log does not exist)");
        Files.writeString(log, "");
        assertThat(RunDir.tail(log, 2)).isEqualTo("(serial.log is empty)");
        Files.writeString(log, "a\nb\nc\n");
        assertThat(RunDir.tail(log, 2)).isEqualTo("b\nc");
    }
}
