package io.atrium.broker.network;

import io.atrium.broker.BrokerStatus;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.BrokerException;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.audit.AuditQuery;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolSpec;
import io.atrium.vmm.api.HostNetworking;
import io.atrium.vmm.api.Ipv4Subnet;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.api.MachineSpec.NetworkMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Pools' networks with faked VMs: validation against what the host reports, the attachment each desktop is started
 * with, idle desktops refreshed onto a new network, switch ids and the switches the host is told to keep, audit and
 * authorization.
 */
@SpringBootTest(classes = {BrokerTestApplication.class, PoolNetworkTest.Edges.class})
class PoolNetworkTest {

    @TestConfiguration
    static class Edges {
        @Bean
        @Primary
        FakeMachineHost machines() {
            return new FakeMachineHost();
        }
    }

    @Autowired PoolNetworkService networks;
    @Autowired PoolAdminService poolAdmin;
    @Autowired DesktopAdminService desktopAdmin;
    @Autowired DesktopService desktops;
    @Autowired FakeMachineHost machines;
    @Autowired AuditLog audit;

    private final HostNetworking everything = new FakeMachineHost().networking;

    @AfterEach
    void allModesAgain() {
        machines.networking = everything;
    }

    @Test
    void validationNamesEachBadFieldAndTheClash() {
        Pool pool = admin(() -> poolAdmin.create(spec("netcheck", 0, 20)));
        invalid(pool, new PoolNetworkSettings("BRIDGE", null, null, null, null, false), "mode", "ISOLATED, NAT or LAB");
        invalid(pool, new PoolNetworkSettings("LAB", null, null, null, null, false), "subnet", "is required");
        invalid(pool, PoolNetworkSettings.lab("10.77.0.1/24", false), "subnet", "host bits set");
        invalid(pool, PoolNetworkSettings.lab("10.0.0.0/8", false), "subnet", "/16 to /29");
        invalid(pool, PoolNetworkSettings.lab("127.1.0.0/24", false), "subnet", "127.0.0.0/8");
        // the host's own network, as the host reports it
        invalid(pool, PoolNetworkSettings.lab("192.0.2.0/25", false), "subnet",
                "overlaps the host's network 192.0.2.0/24");
        // another lab
        Pool other = admin(() -> poolAdmin.create(spec("netother", 0, 5)));
        admin(() -> networks.set(other.id(), PoolNetworkSettings.lab("10.90.0.0/24", false)));
        invalid(pool, PoolNetworkSettings.lab("10.90.0.128/25", false), "subnet",
                "overlaps the lab network 10.90.0.0/24 of pool netother");
        // the DHCP range must hold the pool
        invalid(pool, new PoolNetworkSettings("LAB", "10.91.0.0/24", null, "10.91.0.10", "10.91.0.19", false),
                "dhcpLast", "holds 10 address(es), fewer than the pool's maximum size (20)");
        invalid(pool, new PoolNetworkSettings("LAB", "10.91.0.0/24", "10.91.0.50", "10.91.0.10", "10.91.0.100", false),
                "gateway", "lies in the DHCP range");
        invalid(pool, new PoolNetworkSettings("LAB", "10.91.0.0/24", "10.92.0.1", null, null, false),
                "gateway", "host address of 10.91.0.0/24");
        invalid(pool, new PoolNetworkSettings("LAB", "10.91.0.0/24", null, "10.91.0.200", "10.91.0.100", false),
                "dhcpLast", "must not come before");
        invalid(pool, new PoolNetworkSettings("LAB", "10.91.0.0/24", null, "ten", null, false),
                "dhcpFirst", "IPv4 address");
        assertStatus(() -> admin(() -> networks.set("no-such-pool", PoolNetworkSettings.isolated())),
                BrokerStatus.NOT_FOUND);
        assertThat(admin(() -> networks.get(pool.id())).mode()).isEqualTo(NetworkMode.ISOLATED);
        // every refusal is in the audit, as a failure naming the bad fields (never the values)
        List<AuditEvent> refused = admin(() -> audit.search(new AuditQuery(null, null, null, "network.update", "pool",
                pool.id(), AuditEvent.Outcome.FAILURE, 50)));
        assertThat(refused).hasSize(12).allSatisfy(e -> {
            assertThat(e.actor()).isEqualTo("admin");
            assertThat(e.detail()).contains("netcheck").doesNotContain("10.9");
        });
        assertThat(refused).anySatisfy(e -> assertThat(e.detail()).contains("subnet"));
    }

    @Test
    void whereTheHostCannotMakeNetworksOnlyIsolatedIsOffered() {
        Pool pool = admin(() -> poolAdmin.create(spec("unpriv", 0, 2)));
        machines.networking = HostNetworking.isolatedOnly("Atrium runs without CAP_NET_ADMIN (fake)");
        invalid(pool, new PoolNetworkSettings("NAT", null, null, null, null, false), "mode",
                "cannot run NAT desktops safely: Atrium runs without CAP_NET_ADMIN (fake)");
        invalid(pool, PoolNetworkSettings.lab("10.93.0.0/24", false), "mode", "cannot run lab network desktops");
        admin(() -> networks.set(pool.id(), PoolNetworkSettings.isolated()));
        // a host with labs but without an uplink: labs, but no NAT for them
        machines.networking = new HostNetworking(EnumSet.of(NetworkMode.ISOLATED, NetworkMode.LAB), "no uplink (fake)",
                List.of(Ipv4Subnet.parse("192.0.2.0/24")), List.of());
        invalid(pool, PoolNetworkSettings.lab("10.93.0.0/24", true), "nat", "cannot give lab networks NAT: no uplink");
        assertThat(admin(() -> networks.set(pool.id(), PoolNetworkSettings.lab("10.93.0.0/24", false))).mode())
                .isEqualTo(NetworkMode.LAB);
    }

    @Test
    void aLabGetsDefaultAddressingAndASwitchThatChangesWithItsAddressing() {
        Pool pool = admin(() -> poolAdmin.create(spec("labaddr", 0, 5)));
        PoolNetwork lab = admin(() -> networks.set(pool.id(), PoolNetworkSettings.lab("10.94.0.0/24", true)));
        assertThat(lab.gateway()).isEqualTo("10.94.0.1");
        assertThat(lab.dhcpFirst()).isEqualTo("10.94.0.2");
        assertThat(lab.dhcpLast()).isEqualTo("10.94.0.254");
        assertThat(lab.nat()).isTrue();
        assertThat(lab.switchId()).matches("[a-z0-9]{8}");
        assertThat(machines.retained.getLast()).contains(lab.switchId());

        // the same again: nothing changes, same switch
        PoolNetwork same = admin(() -> networks.set(pool.id(), PoolNetworkSettings.lab("10.94.0.0/24", true)));
        assertThat(same.switchId()).isEqualTo(lab.switchId());
        // new addressing: a new switch, the old one is no longer wanted
        PoolNetwork moved = admin(() -> networks.set(pool.id(), PoolNetworkSettings.lab("10.95.0.0/24", true)));
        assertThat(moved.switchId()).isNotEqualTo(lab.switchId());
        assertThat(machines.retained.getLast()).contains(moved.switchId()).doesNotContain(lab.switchId());

        List<AuditEvent> events = admin(() -> audit.search(new AuditQuery(null, null, null, "network", "pool",
                pool.id(), null, 10)));
        assertThat(events).hasSize(2).allSatisfy(e -> {
            assertThat(e.actor()).isEqualTo("admin");
            assertThat(e.detail()).contains("\"mode\":\"LAB\"").contains("labaddr");
        });

        admin(() -> poolAdmin.delete(pool.id(), false));
        assertThat(machines.retained.getLast()).doesNotContain(moved.switchId());
    }

    @Test
    void aPoolCreatedWithItsNetworkStartsEveryDesktopOnIt() {
        Pool pool = admin(() -> poolAdmin.create(spec("labfirst", 2, 2), id ->
                networks.set(id, PoolNetworkSettings.lab("10.96.0.0/24", false))));
        awaitReady(pool, 2);
        PoolNetwork lab = admin(() -> networks.get(pool.id()));
        for (Desktop d : admin(() -> desktopAdmin.desktopsOf(pool.id()))) {
            List<MachineSpec> started = machines.specs.stream().filter(s -> s.name().equals(d.name())).toList();
            assertThat(started).isNotEmpty().allSatisfy(s -> {
                assertThat(s.network().mode()).isEqualTo(NetworkMode.LAB);
                assertThat(s.network().switchId()).contains(lab.switchId());
                assertThat(s.network().segment().orElseThrow().subnet()).isEqualTo("10.96.0.0/24");
            });
        }
        // a network a section refuses leaves no pool behind
        assertThatThrownBy(() -> admin(() -> poolAdmin.create(spec("labclash", 1, 1), id ->
                networks.set(id, PoolNetworkSettings.lab("10.96.0.0/24", false)))))
                .isInstanceOf(InvalidInputException.class);
        assertThat(admin(() -> poolAdmin.list()).stream().map(Pool::name)).doesNotContain("labclash");
    }

    @Test
    void aChangedNetworkReachesIdleDesktopsAtOnceAndDesktopsInUseAtTheirRefresh() {
        Pool pool = admin(() -> poolAdmin.create(spec("netchange", 2, 2)));
        awaitReady(pool, 2);
        List<Desktop> both = admin(() -> desktopAdmin.desktopsOf(pool.id()));
        Desktop used = as("alice", () -> desktops.open(pool.id()));
        Desktop idle = both.stream().filter(d -> !d.id().equals(used.id())).findFirst().orElseThrow();
        assertThat(machines.lastSpec(idle.name()).orElseThrow().network().mode()).isEqualTo(NetworkMode.ISOLATED);

        admin(() -> networks.set(pool.id(), new PoolNetworkSettings("NAT", null, null, null, null, false)));
        await().atMost(Duration.ofSeconds(15)).until(() ->
                machines.lastSpec(idle.name()).orElseThrow().network().mode() == NetworkMode.NAT
                        && state(idle) == DesktopState.READY);
        // the user's desktop keeps its network until it is refreshed at log off
        assertThat(machines.lastSpec(used.name()).orElseThrow().network().mode()).isEqualTo(NetworkMode.ISOLATED);
        assertThat(state(used)).isEqualTo(DesktopState.ASSIGNED);
        as("alice", () -> desktops.logOff(used.id()));
        await().atMost(Duration.ofSeconds(15)).until(() ->
                machines.lastSpec(used.name()).orElseThrow().network().mode() == NetworkMode.NAT
                        && state(used) == DesktopState.READY);
    }

    @Test
    void onlyAdministratorsSeeOrChangeNetworks() {
        Pool pool = admin(() -> poolAdmin.create(spec("netauth", 0, 1)));
        assertThatThrownBy(() -> as("alice", () -> networks.get(pool.id()))).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> as("alice", () -> networks.set(pool.id(), PoolNetworkSettings.isolated())))
                .isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> as("alice", () -> networks.hostNetworking())).isInstanceOf(AccessDeniedException.class);
        assertThat(admin(() -> networks.hostNetworking()).modes()).contains(NetworkMode.LAB);
    }

    // ------------------------------------------------------------------ helpers

    private void invalid(Pool pool, PoolNetworkSettings settings, String field, String message) {
        assertThatThrownBy(() -> admin(() -> networks.set(pool.id(), settings)))
                .as(settings.toString())
                .isInstanceOfSatisfying(InvalidInputException.class, e -> {
                    assertThat(e.fieldErrors()).containsKey(field);
                    assertThat(e.fieldErrors().get(field)).contains(message);
                });
    }

    private DesktopState state(Desktop d) {
        return admin(() -> desktopAdmin.desktop(d.id())).state();
    }

    private void awaitReady(Pool pool, int n) {
        await().atMost(Duration.ofSeconds(15)).until(() -> admin(() -> desktopAdmin.poolStatus(pool.id())).ready() == n);
    }

    private static void assertStatus(Runnable call, BrokerStatus status) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(BrokerException.class,
                e -> assertThat(e.status()).isEqualTo(status));
    }

    private static PoolSpec spec(String name, int min, int max) {
        return new PoolSpec(name, PoolKind.POOLED, "console", 1, 128, min, max, 0, List.of("group:demo"),
                Duration.ofMinutes(30), Duration.ofMinutes(15), Duration.ofHours(8));
    }

    private static <T> T admin(Supplier<T> body) {
        var auth = UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN")));
        var previous = SecurityContextHolder.getContext();
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(auth);
        SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.setContext(previous);
        }
    }

    private static void admin(Runnable body) {
        admin(() -> {
            body.run();
            return null;
        });
    }
}
