package io.atrium.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class VmSpecTest {

    private static VmSpec.Builder valid() {
        return VmSpec.builder().name("desk-1").accel(ResolvedAccelerator.tcg("t"))
                .kernel(Path.of("/i/vmlinuz")).initrd(Path.of("/i/initrd.img")).runDir(Path.of("/r/desk-1"));
    }

    @Test
    void derivesRunDirectoryLayout() {
        VmSpec spec = valid().build();
        assertThat(spec.qmpSocket()).isEqualTo(Path.of("/r/desk-1/qmp.sock"));
        assertThat(spec.vncSocket()).isEqualTo(Path.of("/r/desk-1/vnc/vnc.sock"));
        assertThat(spec.serialLog()).isEqualTo(Path.of("/r/desk-1/serial.log"));
        assertThat(spec.qemuLog()).isEqualTo(Path.of("/r/desk-1/qemu.log"));
        assertThat(spec.pidFile()).isEqualTo(Path.of("/r/desk-1/qemu.pid"));
        assertThat(spec.macAddress()).matches("52:54:00(:[0-9a-f]{2}){3}");
        assertThat(spec.agentSocket()).isEqualTo(Path.of("/r/desk-1/agent.sock"));
        assertThat(spec.incomingSocket()).isEqualTo(Path.of("/r/desk-1/incoming.sock"));
        assertThat(spec.accelOptions()).isEmpty();
        assertThat(spec.qgaSocket()).isEqualTo(Path.of("/r/desk-1/qga.sock"));
        assertThat(spec.incoming()).isFalse();
        assertThat(spec.guestAgent()).isFalse();
        assertThat(spec.toBuilder().build()).isEqualTo(spec);
        VmSpec clone = valid().accelOptions("tb-size=64").incoming(true).guestAgent(true).build();
        assertThat(clone.toBuilder().build()).isEqualTo(clone);
        assertThat(clone.guestAgent()).isTrue();
    }

    @Test
    void rejectsInvalidValues() {
        assertThatThrownBy(() -> valid().name("Desk_1").build()).hasMessageContaining("hostname");
        assertThatThrownBy(() -> valid().vcpus(0).build()).hasMessageContaining("vcpus");
        assertThatThrownBy(() -> valid().memoryMb(16).build()).hasMessageContaining("memoryMb");
        assertThatThrownBy(() -> valid().kernel(Path.of("relative")).build()).hasMessageContaining("absolute");
        assertThatThrownBy(() -> valid().disk(Path.of("/a,b.qcow2")).build()).hasMessageContaining("','");
        assertThatThrownBy(() -> valid().macAddress("53:54:00:00:00:01").build()).hasMessageContaining("unicast");
        assertThatThrownBy(() -> valid().macAddress("nope").build()).hasMessageContaining("MAC");
        assertThatThrownBy(() -> valid().extraArgs(List.of("-vnc", ":0")).build()).hasMessageContaining("VNC");
        assertThatThrownBy(() -> valid().runDir(Path.of("/" + "x".repeat(100))).build())
                .hasMessageContaining("unix socket path");
        assertThatThrownBy(() -> valid().append("a\nb").build()).hasMessageContaining("newline");
        assertThatThrownBy(() -> valid().accelOptions("tb-size=64 -device x").build()).hasMessageContaining("accelOptions");
        assertThatThrownBy(() -> valid().accelOptions("tb-size").build()).hasMessageContaining("accelOptions");
    }
}
