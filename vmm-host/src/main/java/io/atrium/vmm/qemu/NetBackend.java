package io.atrium.vmm.qemu;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The backend of a VM's one NIC ({@code -netdev … id=net0}) and where QEMU must run for it. Values only; the pieces
 * they point at (a network namespace, a switch) are made by {@code io.atrium.vmm.network}.
 *
 * <p>Every backend carries no state of its own into a saved machine except user-mode networking, and the golden VM
 * of an instant-clone template uses {@link Unplugged}, which has none: so one template restores under any backend
 * (QEMU refuses a migration stream with a section its destination does not know; missing sections are fine).
 */
public sealed interface NetBackend permits NetBackend.Restricted, NetBackend.Unplugged, NetBackend.Nat,
        NetBackend.Switch {

    /** The network namespace QEMU must be started in, if any ({@code ip netns exec <name>}). */
    default Optional<String> netns() {
        return Optional.empty();
    }

    /** The {@code -netdev} value for the NIC {@code id}. */
    String netdev(String id);

    /** Isolated: user-mode networking with {@code restrict=on}; the guest gets DHCP and reaches nothing. */
    record Restricted() implements NetBackend {
        @Override
        public String netdev(String id) {
            return "user,id=" + id + ",restrict=on";
        }
    }

    /**
     * No network: a port of an otherwise empty QEMU hub. For golden VMs of templates: it saves no state, so clones
     * restore under any backend.
     */
    record Unplugged() implements NetBackend {
        @Override
        public String netdev(String id) {
            return "hubport,id=" + id + ",hubid=0";
        }
    }

    /**
     * NAT: user-mode networking with {@code restrict=off} (and no IPv6), QEMU started inside the network namespace
     * {@code namespace}, whose only way out is the host's guarded, masqueraded uplink. The guest's "host" address
     * 10.0.2.2 is that namespace's own loopback, where nothing listens.
     */
    record Nat(String namespace) implements NetBackend {
        private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,40}");

        public Nat {
            Objects.requireNonNull(namespace, "namespace");
            if (!NAME.matcher(namespace).matches()) {
                throw new IllegalArgumentException("not a network namespace name: " + namespace);
            }
        }

        @Override
        public Optional<String> netns() {
            return Optional.of(namespace);
        }

        @Override
        public String netdev(String id) {
            return "user,id=" + id + ",restrict=off,ipv6=off";
        }
    }

    /** A port on a VDE switch whose control directory is {@code directory} ({@code -netdev vde,sock=…}). */
    record Switch(Path directory) implements NetBackend {
        public Switch {
            Objects.requireNonNull(directory, "directory");
            if (!directory.isAbsolute() || directory.toString().indexOf(',') >= 0) {
                throw new IllegalArgumentException("switch directory must be absolute and without ',': " + directory);
            }
            directory = directory.normalize();
        }

        @Override
        public String netdev(String id) {
            return "vde,id=" + id + ",sock=" + directory;
        }
    }
}
