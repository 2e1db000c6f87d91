package io.atrium.vmm.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.vmm.api.MachineSpec.NetworkAttachment;
import io.atrium.vmm.api.MachineSpec.NetworkMode;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The network values of the machines contract parse strictly and refuse what a host could not run. */
class NetworkValuesTest {

    @Test
    void ipv4AddressesAreDottedQuadsOnly() {
        assertThat(Ipv4.parse("10.77.0.1").toString()).isEqualTo("10.77.0.1");
        assertThat(Ipv4.parse("255.255.255.255").unsigned()).isEqualTo(0xffffffffL);
        for (String bad : List.of("", "10.77.0", "10.77.0.1.2", "10.77.0.256", "010.1.1.1", "1.1.1.-1", "a.b.c.d",
                "localhost", "10.77.0.1 ", "1..1.1", "0x1.1.1.1")) {
            assertThat(Ipv4.isValid(bad)).as(bad).isFalse();
        }
        assertThat(Ipv4.parse("10.0.0.255").plus(1)).isEqualTo(Ipv4.parse("10.0.1.0"));
        assertThat(Ipv4.parse("10.0.0.2").compareTo(Ipv4.parse("200.0.0.1"))).isNegative();
    }

    @Test
    void subnetsHaveOneSpellingAndKnowWhatTheyContainAndOverlap() {
        Ipv4Subnet lab = Ipv4Subnet.parse("10.77.0.0/24");
        assertThat(lab.netmask().toString()).isEqualTo("255.255.255.0");
        assertThat(lab.size()).isEqualTo(256);
        assertThat(lab.last().toString()).isEqualTo("10.77.0.255");
        assertThat(lab.containsHost(Ipv4.parse("10.77.0.1"))).isTrue();
        assertThat(lab.containsHost(Ipv4.parse("10.77.0.0"))).isFalse();
        assertThat(lab.containsHost(Ipv4.parse("10.77.0.255"))).isFalse();
        assertThat(lab.contains(Ipv4.parse("10.77.1.1"))).isFalse();
        assertThat(lab.overlaps(Ipv4Subnet.parse("10.77.0.128/25"))).isTrue();
        assertThat(lab.overlaps(Ipv4Subnet.parse("10.0.0.0/8"))).isTrue();
        assertThat(lab.overlaps(Ipv4Subnet.parse("10.78.0.0/24"))).isFalse();
        assertThat(Ipv4Subnet.containing(Ipv4.parse("192.0.2.2"), 24)).isEqualTo(Ipv4Subnet.parse("192.0.2.0/24"));
        assertThat(Ipv4Subnet.parse("0.0.0.0/0").contains(Ipv4.parse("8.8.8.8"))).isTrue();
        assertThatThrownBy(() -> Ipv4Subnet.parse("10.77.0.1/24")).hasMessageContaining("host bits set")
                .hasMessageContaining("10.77.0.0/24");
        for (String bad : List.of("10.77.0.0", "10.77.0.0/33", "10.77.0.0/", "10.77.0.0/-1", "10.77.0.0/2 4")) {
            assertThatThrownBy(() -> Ipv4Subnet.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aLabSegmentIsConsistent() {
        LabSegment s = new LabSegment("10.77.0.0/24", "10.77.0.1", "10.77.0.100", "10.77.0.199", true);
        assertThat(s.dhcpSize()).isEqualTo(100);
        assertThat(s.network().prefix()).isEqualTo(24);
        assertThatThrownBy(() -> new LabSegment("10.77.0.0/24", "10.77.1.1", "10.77.0.100", "10.77.0.199", false))
                .hasMessageContaining("gateway");
        assertThatThrownBy(() -> new LabSegment("10.77.0.0/24", "10.77.0.150", "10.77.0.100", "10.77.0.199", false))
                .hasMessageContaining("lies in the DHCP range");
        assertThatThrownBy(() -> new LabSegment("10.77.0.0/24", "10.77.0.1", "10.77.0.200", "10.77.0.100", false))
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> new LabSegment("10.77.0.0/24", "10.77.0.1", "10.77.0.100", "10.77.0.255", false))
                .hasMessageContaining("host addresses");
        assertThatThrownBy(() -> new LabSegment("10.0.0.0/8", "10.0.0.1", "10.0.0.2", "10.0.0.3", false))
                .hasMessageContaining("/16 to /29");
        assertThatThrownBy(() -> new LabSegment("10.77.0.0/30", "10.77.0.1", "10.77.0.2", "10.77.0.2", false))
                .hasMessageContaining("/16 to /29");
    }

    @Test
    void onlyALabHasASwitchAndASegment() {
        LabSegment s = new LabSegment("10.77.0.0/24", "10.77.0.1", "10.77.0.100", "10.77.0.199", false);
        assertThat(NetworkAttachment.lab("a1b2", s).mode()).isEqualTo(NetworkMode.LAB);
        assertThatThrownBy(() -> new NetworkAttachment(NetworkMode.LAB, Optional.of("a1"), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NetworkAttachment(NetworkMode.NAT, Optional.of("a1"), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NetworkAttachment.lab("../x", s)).hasMessageContaining("switch id");
        assertThatThrownBy(() -> NetworkAttachment.lab("abcdefghi", s)).hasMessageContaining("switch id");
        assertThat(NetworkAttachment.isSwitchId("a1b2c3d4")).isTrue();
        assertThat(NetworkAttachment.isSwitchId("A1")).isFalse();
    }

    @Test
    void everyHostRunsIsolatedDesktops() {
        assertThat(HostNetworking.isolatedOnly("no").supports(NetworkMode.ISOLATED)).isTrue();
        assertThat(HostNetworking.isolatedOnly("no").supports(NetworkMode.LAB)).isFalse();
        assertThatThrownBy(() -> new HostNetworking(Set.of(NetworkMode.NAT), "", List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
