package io.atrium.broker.session;

import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.MutableClock;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.pool.PoolService;
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
        await().atMost(Duration.ofSeconds(10)).until(() -> desktops.find(
                as("alice", () -> desktops.myDesktops()).getFirst().pool().id()).isEmpty()
                && as("alice", () -> desktops.myDesktops()).getFirst().free() == 3);
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
