package io.atrium.vmm.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The pure parts of desktop networks: the nftables rulesets, the capability decision, the settings. */
class NetworkRulesTest {

    @Test
    void theHostGuardRejectsEverythingForTheHostAndForwardsOnlyOutOfTheUplink() {
        String rules = NftRules.host("atr", List.of("atrnat", "atrl1a2b"), Optional.of("eth0"), "169.254.240.0/24");
        // one transaction: the table is replaced, never missing
        assertThat(rules).startsWith("# Atrium").contains("table inet atr_guard {\n}\ndelete table inet atr_guard\n");
        assertThat(rules).contains("elements = { \"atrnat\", \"atrl1a2b\" }");
        assertThat(rules).contains("chain input {\n        type filter hook input priority filter; policy accept;\n"
                + "        iifname @links counter reject with icmpx type admin-prohibited\n    }");
        String forward = rules.substring(rules.indexOf("chain forward"), rules.indexOf("chain postrouting"));
        // never to loopback, link-local (cloud metadata) or multicast, then only out of the uplink, then nothing
        assertThat(forward.indexOf("ip daddr { 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/3 }"))
                .isPositive().isLessThan(forward.indexOf("oifname \"eth0\" meta nfproto ipv4 counter accept"));
        assertThat(forward.indexOf("oifname \"eth0\"")).isLessThan(forward.lastIndexOf(
                "iifname @links counter reject"));
        assertThat(forward).contains("oifname @links ct state established,related counter accept\n"
                + "        oifname @links counter drop");
        assertThat(rules).contains("ip saddr 169.254.240.0/24 oifname \"eth0\" counter masquerade");
    }

    @Test
    void withoutAnUplinkNothingLeavesAndNothingIsMasqueraded() {
        String rules = NftRules.host("atr", List.of(), Optional.empty(), "169.254.240.0/24");
        assertThat(rules).doesNotContain("elements").doesNotContain("accept\n        iifname")
                .doesNotContain("masquerade").doesNotContain("oifname \"");
        assertThatThrownBy(() -> NftRules.host("atr", List.of("bad name"), Optional.empty(), "169.254.240.0/24"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLabRouterAnswersDhcpDnsAndPingAndForwardsOnlyWithNat() {
        String closed = NftRules.lab("tap0", "up0", false);
        assertThat(closed).contains("policy drop;\n        iifname \"lo\" accept")
                .contains("iifname \"tap0\" udp dport 67 accept").contains("iifname \"tap0\" udp dport 53 accept")
                .contains("iifname \"tap0\" icmp type echo-request accept")
                .contains("chain forward {\n        type filter hook forward priority filter; policy drop;\n    }")
                .doesNotContain("masquerade");
        String nat = NftRules.lab("tap0", "up0", true);
        assertThat(nat).contains("iifname \"tap0\" oifname \"up0\" ip daddr != " + NftRules.NEVER + " accept")
                .contains("iifname \"up0\" oifname \"tap0\" ct state established,related accept")
                .contains("oifname \"up0\" masquerade");
    }

    @Test
    void theNatNamespaceLetsOnlyAnswersIn() {
        assertThat(NftRules.nat()).contains("chain input {\n        type filter hook input priority filter; policy drop;\n"
                + "        ct state established,related accept\n    }")
                .contains("ip daddr " + NftRules.NEVER + " reject").contains("meta nfproto ipv6 reject");
    }

    @Test
    void withoutNetAdminAndSysAdminOnlyIsolatedRemains() {
        BigInteger root = new BigInteger("000001ffffffffff", 16);
        BigInteger netAdminOnly = BigInteger.ONE.shiftLeft(NetworkCapabilities.CAP_NET_ADMIN);
        assertThat(NetworkCapabilities.of(Optional.of(root), List.of(), List.of())).isEqualTo(NetworkCapabilities.full());
        NetworkCapabilities user = NetworkCapabilities.of(Optional.of(BigInteger.ZERO), List.of(), List.of());
        assertThat(user.nat()).isFalse();
        assertThat(user.lab()).isFalse();
        assertThat(user.limitation()).contains("CAP_NET_ADMIN").contains("isolated");
        assertThat(NetworkCapabilities.of(Optional.of(netAdminOnly), List.of(), List.of()).nat()).isFalse();
        NetworkCapabilities noVde = NetworkCapabilities.of(Optional.of(root), List.of(), List.of("vde_switch (Debian package vde2)"));
        assertThat(noVde.nat()).isTrue();
        assertThat(noVde.lab()).isFalse();
        assertThat(noVde.limitation()).contains("vde2");
        assertThat(NetworkCapabilities.of(Optional.of(root), List.of("nft (Debian package nftables)"), List.of()).nat())
                .isFalse();
        assertThat(NetworkCapabilities.effectiveCapabilities("Name:\tjava\nCapEff:\t000001ffffffffff\n")).contains(root);
        assertThat(NetworkCapabilities.effectiveCapabilities("CapEff:\t0000000000000000\n")).contains(BigInteger.ZERO);
        assertThat(NetworkCapabilities.effectiveCapabilities("nothing")).isEmpty();
    }

    @Test
    void settingsAreChecked() {
        assertThat(NetworkProperties.defaults().prefix()).isEqualTo("atr");
        assertThatThrownBy(() -> NetworkProperties.defaults().withPrefix("toolong7")).hasMessageContaining("prefix");
        assertThatThrownBy(() -> NetworkProperties.defaults().withPrefix("1ab")).hasMessageContaining("prefix");
        assertThatThrownBy(() -> NetworkProperties.defaults().withUplink("eth0; rm")).hasMessageContaining("uplink");
        assertThatThrownBy(() -> NetworkProperties.defaults().withDnsServers(List.of("dns.example")))
                .hasMessageContaining("dns-servers");
        assertThatThrownBy(() -> new NetworkProperties("atr", "auto", "169.254.240.0/30", List.of(), Duration.ofSeconds(1)))
                .hasMessageContaining("transfer-subnet");
        NetworkLayout layout = new NetworkLayout(java.nio.file.Path.of("/d/net"), "atr",
                NetworkProperties.defaults().transfer());
        assertThat(layout.labLink("a1b2c3d4")).isEqualTo("atrla1b2c3d4").hasSizeLessThanOrEqualTo(15);
        assertThat(new NetworkLayout(java.nio.file.Path.of("/d/net"), "abcdef", NetworkProperties.defaults().transfer())
                .labLink("a1b2c3d4")).hasSize(15);
        assertThat(layout.hostEnd(0).toString()).isEqualTo("169.254.240.1");
        assertThat(layout.namespaceEnd(3).toString()).isEqualTo("169.254.240.14");
        assertThat(layout.isOurNamespace("atr-lab-a1")).isTrue();
        assertThat(layout.isOurNamespace("atr-nat")).isTrue();
        assertThat(layout.isOurNamespace("atr-out")).isFalse();
        assertThat(layout.isOurNamespace("atrx-nat")).isFalse();
    }
}
