package io.atrium.broker.session;

import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.MutableClock;
import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolService;
import io.atrium.broker.pool.PoolSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.security.authorization.AuthorizationDeniedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.test.annotation.DirtiesContext;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/** Sessions: start on open, connect/disconnect, idle timeout, disconnect grace, max length, admin actions. */
@SpringBootTest(classes = {BrokerTestApplication.class, SessionTest.Edges.class})
@DirtiesContext(classMode = DirtiesContext.ClassMode.BEFORE_EACH_TEST_METHOD)
class SessionTest {

    /** Viewers, faked: the test "connects", "types" and sees what the broker closed. */
    static class FakeConsoles implements ConsoleConnections {
        final Map<String, Long> bytes = new ConcurrentHashMap<>();
        final List<String> closed = new CopyOnWriteArrayList<>();
        DesktopService desktops;

        void connect(String desktopId) {
            bytes.put(desktopId, 0L);
            desktops.viewerConnected(desktopId);
        }

        void type(String desktopId) {
            bytes.computeIfPresent(desktopId, (k, v) -> v + 8);
        }

        void leave(String desktopId) {
            bytes.remove(desktopId);
            desktops.viewerDisconnected(desktopId);
        }

        @Override
        public boolean isConnected(String desktopId) {
            return bytes.containsKey(desktopId);
        }

        @Override
        public long bytesFromBrowser(String desktopId) {
            return bytes.getOrDefault(desktopId, -1L);
        }

        @Override
        public boolean disconnect(String desktopId, CloseReason why) {
            closed.add(desktopId + " " + why);
            if (bytes.remove(desktopId) != null) {
                desktops.viewerDisconnected(desktopId);
                return true;
            }
            return false;
        }
    }

    @TestConfiguration
    static class Edges {
        @Bean @Primary FakeMachineHost machines() {
            return new FakeMachineHost();
        }

        @Bean @Primary MutableClock testClock() {
            return new MutableClock();
        }

        @Bean FakeConsoles consoles() {
            return new FakeConsoles();
        }
    }

    @Autowired DesktopService desktops;
    @Autowired DesktopAdminService desktopAdmin;
    @Autowired PoolAdminService poolAdmin;
    @Autowired PoolService pools;
    @Autowired SessionService sessions;
    @Autowired SessionAdminService admin;
    @Autowired SessionReaper reaper;
    @Autowired FakeConsoles consoles;
    @Autowired FakeMachineHost machines;
    @Autowired MutableClock clock;

    String poolId;

    @BeforeEach
    void ready() {
        consoles.desktops = desktops;
        poolId = as("alice", () -> pools.myPools().getFirst().id());
        // The demo pool is warm: three desktops, each READY, nobody's, with a running console; users see 3 free.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            List<Desktop> all = asAdmin(() -> desktopAdmin.desktopsOf(poolId));
            return all.size() == 3
                    && all.stream().allMatch(d -> d.state() == DesktopState.READY && d.assignedUser() == null
                            && desktops.consoleEndpoint(d.id()).isPresent())
                    && as("alice", () -> desktops.myDesktops()).getFirst().free() == 3;
        });
    }

    private Desktop open(String user) {
        return as(user, () -> desktops.open(poolId));
    }

    private Session session(Desktop d) {
        return sessions.activeOn(d.id()).orElseThrow();
    }

    @Test
    void openingStartsOneSessionThatFollowsTheViewer() {
        Desktop d = open("alice");
        Session s = session(d);
        assertThat(s.username()).isEqualTo("alice");
        assertThat(s.desktopName()).isEqualTo(d.name());
        assertThat(s.connectedAt()).isNull();
        assertThat(open("alice").id()).isEqualTo(d.id());
        assertThat(session(d).id()).as("opening again keeps the session").isEqualTo(s.id());

        consoles.connect(d.id());
        assertThat(session(d).isConnected()).isTrue();
        assertThat(desktops.find(d.id()).orElseThrow().state()).isEqualTo(DesktopState.CONNECTED);
        consoles.leave(d.id());
        assertThat(session(d).isConnected()).isFalse();
        assertThat(session(d).disconnectedAt()).isNotNull();

        as("alice", () -> desktops.logOff(d.id()));
        assertThat(sessions.find(s.id()).orElseThrow().endReason()).isEqualTo(SessionEndReason.USER_LOGOFF);
        assertThat(sessions.activeOn(d.id())).isEmpty();
    }

    @Test
    void aConnectedSessionWithoutInputIsDisconnectedAfterTheIdleTimeoutAndKeepsItsDesktop() {
        Desktop d = open("alice");
        consoles.connect(d.id());
        reaper.check();
        clock.advance(Duration.ofMinutes(20));
        consoles.type(d.id());
        reaper.check();
        assertThat(session(d).lastInputAt()).isCloseTo(clock.instant(), within(1, ChronoUnit.MILLIS));
        clock.advance(Duration.ofMinutes(29));
        reaper.check();
        assertThat(consoles.closed).isEmpty();
        clock.advance(Duration.ofMinutes(1));
        reaper.check();
        assertThat(consoles.closed).containsExactly(d.id() + " IDLE");
        Session s = session(d);
        assertThat(s.isActive()).isTrue();
        assertThat(s.isConnected()).isFalse();
        assertThat(desktops.find(d.id()).orElseThrow().state()).isEqualTo(DesktopState.DISCONNECTED);
        assertThat(desktops.find(d.id()).orElseThrow().assignedUser()).isEqualTo("alice");
    }

    @Test
    void aDisconnectedSessionIsLoggedOffAfterTheGraceAndThePooledDesktopIsRefreshed() {
        Desktop d = open("alice");
        consoles.connect(d.id());
        consoles.leave(d.id());
        clock.advance(Duration.ofMinutes(14));
        reaper.check();
        assertThat(session(d).isActive()).isTrue();
        int fresh = machines.freshDisks.get();
        clock.advance(Duration.ofMinutes(1));
        reaper.check();
        assertThat(sessions.activeOn(d.id())).isEmpty();
        Session ended = sessions.recent(10).getFirst();
        assertThat(ended.endReason()).isEqualTo(SessionEndReason.DISCONNECT_GRACE);
        assertThat(consoles.closed).as("the broker closes (an already gone) viewer as an ended session")
                .containsExactly(d.id() + " SESSION_ENDED");
        await().atMost(Duration.ofSeconds(5)).until(() -> desktops.find(d.id()).orElseThrow().state() == DesktopState.READY);
        assertThat(desktops.find(d.id()).orElseThrow().assignedUser()).isNull();
        assertThat(machines.freshDisks.get()).isEqualTo(fresh + 1);
    }

    @Test
    void anOpenedButNeverConnectedSessionAlsoGetsOnlyTheGrace() {
        Desktop d = open("alice");
        clock.advance(Duration.ofMinutes(15));
        reaper.check();
        assertThat(sessions.activeOn(d.id())).isEmpty();
    }

    @Test
    void aSessionIsLoggedOffAtItsMaximumLengthEvenWhileTyping() {
        Desktop d = open("alice");
        consoles.connect(d.id());
        for (int i = 0; i < 40; i++) {
            clock.advance(Duration.ofMinutes(15));
            consoles.type(d.id());
            reaper.check();
            if (sessions.activeOn(d.id()).isEmpty()) {
                break;
            }
        }
        assertThat(consoles.closed).containsExactly(d.id() + " SESSION_ENDED");
        Session ended = sessions.recent(10).getFirst();
        assertThat(ended.endReason()).isEqualTo(SessionEndReason.MAX_SESSION_LENGTH);
        assertThat(Duration.between(ended.startedAt(), ended.endedAt())).isCloseTo(Duration.ofHours(10), Duration.ofMillis(1));
    }

    @Test
    void aCrashedDesktopEndsItsSession() {
        Desktop d = open("alice");
        machines.crash(d.name());
        // the broker handles the machine's exit on its event thread: wait until the desktop is no longer hers
        await().atMost(Duration.ofSeconds(10)).until(() -> !"alice".equals(desktops.find(d.id()).orElseThrow().assignedUser()));
        reaper.check();
        assertThat(sessions.recent(10).getFirst().endReason()).isEqualTo(SessionEndReason.DESKTOP_LOST);
    }

    @Test
    void anAdminCanDisconnectAndLogOffAndOthersCannot() {
        Desktop a = open("alice");
        Desktop b = open("bob");
        consoles.connect(a.id());
        consoles.connect(b.id());
        assertThatThrownBy(() -> as("alice", () -> admin.list(100))).isInstanceOf(AuthorizationDeniedException.class);
        assertThatThrownBy(() -> as("alice", () -> admin.logOff(session(b).id())))
                .isInstanceOf(AuthorizationDeniedException.class);

        List<Session> list = asAdmin(() -> admin.list(100));
        assertThat(list).extracting(Session::username).containsExactlyInAnyOrder("alice", "bob");

        Session disconnected = asAdmin(() -> admin.disconnect(session(a).id()));
        assertThat(disconnected.isActive()).isTrue();
        assertThat(disconnected.isConnected()).isFalse();
        assertThat(consoles.closed).containsExactly(a.id() + " ADMIN");
        assertThat(desktops.find(a.id()).orElseThrow().assignedUser()).isEqualTo("alice");

        Session loggedOff = asAdmin(() -> admin.logOff(session(b).id()));
        assertThat(loggedOff.endReason()).isEqualTo(SessionEndReason.ADMIN_LOGOFF);
        assertThat(consoles.closed).containsExactly(a.id() + " ADMIN", b.id() + " ADMIN");
        await().atMost(Duration.ofSeconds(5)).until(() -> desktops.find(b.id()).orElseThrow().state() == DesktopState.READY);
        assertThat(asAdmin(() -> admin.list(100)).getFirst().username()).as("active first").isEqualTo("alice");
    }

    @Test
    void theBrokerDecidesWhyEachViewerIsClosedOnEveryPath() {
        Desktop a = open("alice");
        Desktop b = open("bob");
        Desktop c = open("carol");
        consoles.connect(a.id());
        consoles.connect(b.id());
        consoles.connect(c.id());

        // An administrator disconnects alice by desktop: ADMIN, the session stays, the desktop stays hers.
        Optional<Session> disconnected = asAdmin(() -> admin.disconnectDesktop(a.id()));
        assertThat(disconnected).hasValueSatisfying(s -> {
            assertThat(s.isActive()).isTrue();
            assertThat(s.isConnected()).isFalse();
        });
        assertThat(consoles.closed).containsExactly(a.id() + " ADMIN");

        // She reconnects; an administrator logs her off by desktop: ADMIN once, not ADMIN then SESSION_ENDED.
        consoles.connect(a.id());
        Optional<Session> loggedOff = asAdmin(() -> admin.logOffDesktop(a.id()));
        assertThat(loggedOff).map(Session::endReason).contains(SessionEndReason.ADMIN_LOGOFF);
        assertThat(consoles.closed).containsExactly(a.id() + " ADMIN", a.id() + " ADMIN");

        // Bob logs himself off: SESSION_ENDED; an administrator's log off afterwards is refused and closes nothing.
        String bobs = session(b).id();
        as("bob", () -> desktops.logOff(b.id()));
        assertThat(sessions.find(bobs).orElseThrow().endReason()).isEqualTo(SessionEndReason.USER_LOGOFF);
        assertThatThrownBy(() -> asAdmin(() -> admin.logOff(bobs)))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.ILLEGAL_STATE));
        assertThat(consoles.closed).containsExactly(a.id() + " ADMIN", a.id() + " ADMIN", b.id() + " SESSION_ENDED");

        // Carol's entitlement goes: REVOKED, the session ends for that reason and her pooled desktop is refreshed.
        String carols = session(c).id();
        assertThat(sessions.revokeAccess(poolId, "dave")).as("nobody else's session").isEmpty();
        List<Session> revoked = sessions.revokeAccess(poolId, "carol");
        assertThat(revoked).extracting(Session::id).containsExactly(carols);
        assertThat(revoked.getFirst().endReason()).isEqualTo(SessionEndReason.ACCESS_REVOKED);
        assertThat(consoles.closed).containsExactly(a.id() + " ADMIN", a.id() + " ADMIN", b.id() + " SESSION_ENDED",
                c.id() + " REVOKED");
        assertThat(sessions.revokeAccess(poolId, "carol")).as("revoking twice ends nothing more").isEmpty();
        assertThat(consoles.closed).hasSize(4);
        await().atMost(Duration.ofSeconds(5)).until(() -> desktops.find(c.id()).orElseThrow().state() == DesktopState.READY);
        assertThat(desktops.find(c.id()).orElseThrow().assignedUser()).isNull();
    }

    @Test
    void revocationOnlyEndsThatUsersSessionsOnThatPool() {
        Pool other = asAdmin(() -> poolAdmin.create(new PoolSpec("other", PoolKind.POOLED, "console", 1, 128, 1, 1, 0,
                List.of("group:demo"), Duration.ofMinutes(30), Duration.ofMinutes(15), Duration.ofHours(10))));
        await().atMost(Duration.ofSeconds(10)).until(() -> as("alice", () -> desktops.myDesktops()).stream()
                .anyMatch(card -> card.pool().id().equals(other.id()) && card.free() == 1));
        Desktop mine = open("alice");
        Desktop elsewhere = as("alice", () -> desktops.open(other.id()));
        Desktop bobs = open("bob");
        consoles.connect(mine.id());
        consoles.connect(elsewhere.id());
        consoles.connect(bobs.id());

        assertThat(sessions.revokeAccess(other.id(), "alice")).extracting(Session::desktopId).containsExactly(elsewhere.id());
        assertThat(consoles.closed).containsExactly(elsewhere.id() + " REVOKED");
        assertThat(session(mine).isConnected()).isTrue();
        assertThat(session(bobs).isConnected()).isTrue();

        // The administrators' list filters by pool and by whether a session is active.
        assertThat(asAdmin(() -> admin.list(Optional.of(poolId), Optional.empty(), 100)))
                .extracting(Session::desktopId).containsExactlyInAnyOrder(mine.id(), bobs.id());
        assertThat(asAdmin(() -> admin.list(Optional.of(other.id()), Optional.of(false), 100)))
                .extracting(Session::endReason).containsExactly(SessionEndReason.ACCESS_REVOKED);
        assertThat(asAdmin(() -> admin.list(Optional.of(other.id()), Optional.of(true), 100))).isEmpty();
        assertThat(asAdmin(() -> admin.list(Optional.empty(), Optional.of(true), 100))).extracting(Session::poolId)
                .containsOnly(poolId);
        assertThat(asAdmin(() -> admin.list(Optional.empty(), Optional.empty(), 2))).hasSize(2)
                .allMatch(Session::isActive);
        assertThatThrownBy(() -> asAdmin(() -> admin.list(Optional.of("no-such-pool"), Optional.empty(), 100)))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.NOT_FOUND));
        assertThatThrownBy(() -> asAdmin(() -> admin.session("no-such-session")))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.NOT_FOUND));
        assertThatThrownBy(() -> asAdmin(() -> admin.disconnectDesktop("no-such-desktop")))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.NOT_FOUND));
        assertThatThrownBy(() -> as("alice", () -> admin.session(session(mine).id())))
                .isInstanceOf(AuthorizationDeniedException.class);
    }

    private static <T> T asAdmin(java.util.function.Supplier<T> body) {
        var previous = SecurityContextHolder.getContext();
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN"))));
        SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.setContext(previous);
        }
    }
}
