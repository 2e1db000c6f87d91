package io.atrium.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console endpoint value and the connectors that open it, without a WebSocket. */
class ConsoleConnectorTest {

    @TempDir
    Path tempDir;

    @Test
    void unixConnectorReachesAVncServerOnItsSocket() throws Exception {
        try (FakeVncServer vnc = new FakeVncServer(tempDir.resolve("vm.sock"), FakeVncServer.GREET_AND_CLOSE);
             ByteChannel channel = ConsoleConnectors.defaults().open(ConsoleEndpoint.unix("local", vnc.path()))) {
            ByteBuffer greeting = ByteBuffer.allocate(FakeVncServer.GREETING.length);
            while (greeting.hasRemaining() && channel.read(greeting) >= 0) {
                // read until the greeting is complete
            }
            assertThat(greeting.array()).isEqualTo(FakeVncServer.GREETING);
        }
    }

    @Test
    void aMissingSocketIsAnIoErrorNotAnUnsupportedAddress() {
        ConsoleEndpoint missing = ConsoleEndpoint.unix("local", tempDir.resolve("gone.sock"));
        assertThatThrownBy(() -> new UnixSocketConnector().open(missing))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(UnsupportedConsoleAddressException.class);
        assertThatThrownBy(() -> ConsoleConnectors.defaults().open(missing))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(UnsupportedConsoleAddressException.class);
    }

    @Test
    void anUnknownSchemeIsRefusedNamingTheSchemeAndTheKnownOnes() {
        ConsoleEndpoint remote = new ConsoleEndpoint("host-2", "tls:agent:5901/desk");
        assertThatThrownBy(() -> ConsoleConnectors.defaults().open(remote))
                .isInstanceOf(UnsupportedConsoleAddressException.class)
                .hasMessageContaining("no console connector for scheme 'tls'")
                .hasMessageContaining("host-2")
                .hasMessageContaining("[unix]");
        assertThatThrownBy(() -> ConsoleConnectors.defaults().open(new ConsoleEndpoint("h", "/no/scheme.sock")))
                .isInstanceOf(UnsupportedConsoleAddressException.class)
                .hasMessageContaining("scheme ''");
    }

    @Test
    void theUnixConnectorRefusesRelativePathsAndOtherSchemes() {
        UnixSocketConnector unix = new UnixSocketConnector();
        assertThatThrownBy(() -> unix.open(new ConsoleEndpoint("h", "unix:relative/vnc.sock")))
                .isInstanceOf(UnsupportedConsoleAddressException.class).hasMessageContaining("absolute");
        assertThatThrownBy(() -> unix.open(new ConsoleEndpoint("h", "tcp:/tmp/x")))
                .isInstanceOf(UnsupportedConsoleAddressException.class);
        assertThatThrownBy(() -> unix.open(new ConsoleEndpoint("h", "unix:/tmp/\u0000x")))
                .isInstanceOf(IllegalArgumentException.class); // refused by the value already
    }

    @Test
    void connectorsAreChosenByCaseInsensitiveScheme() throws Exception {
        ByteChannel marker = new ByteChannel() {
            @Override
            public int read(ByteBuffer dst) {
                return -1;
            }

            @Override
            public int write(ByteBuffer src) {
                return 0;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        ConsoleConnectors connectors = ConsoleConnectors.of(Map.of("Agent", endpoint -> marker));
        assertThat(connectors.open(new ConsoleEndpoint("h", "AGENT:x"))).isSameAs(marker);
        assertThatThrownBy(() -> connectors.open(ConsoleEndpoint.unix("h", tempDir.resolve("x.sock"))))
                .isInstanceOf(UnsupportedConsoleAddressException.class);
        assertThatThrownBy(() -> ConsoleConnectors.of(Map.of("a:b", endpoint -> marker)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void endpointValuesAreChecked() {
        assertThat(new ConsoleEndpoint("h", "unix:/run/vnc.sock").scheme()).isEqualTo("unix");
        assertThat(new ConsoleEndpoint("h", "unix:/run/vnc.sock").schemeSpecificPart()).isEqualTo("/run/vnc.sock");
        assertThat(ConsoleEndpoint.unix("h", Path.of("/run/a.sock")).address()).isEqualTo("unix:/run/a.sock");
        assertThatThrownBy(() -> new ConsoleEndpoint(" ", "unix:/x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ConsoleEndpoint("h", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ConsoleEndpoint("h", "unix:/x\n")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ConsoleEndpoint("h", "unix:/" + "a".repeat(ConsoleEndpoint.MAX_ADDRESS_LENGTH)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
