package io.atrium.broker.audit;

import io.atrium.broker.BrokerTestApplication;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The audit log: who is recorded as the actor, filters, newest first, and that only admins read it. */
@SpringBootTest(classes = BrokerTestApplication.class, properties = "atrium.broker.demo.enabled=false")
class AuditLogTest {

    @Autowired AuditLog audit;

    @Test
    void recordsTheCallerOrSystemAndFindsEntriesByFilter() {
        String pool = "pool-" + UUID.randomUUID();
        as("alice", () -> audit.record("desktop.open", "pool", pool, Map.of("desktop", "demo-1")));
        audit.record("pool.reconcile", "pool", pool, null);
        audit.recordAs("mallory", "127.0.0.1", "login.failure", AuditEvent.Outcome.FAILURE, "user", "mallory",
                Map.of("method", "form"));

        List<AuditEvent> forPool = admin(() -> audit.search(new AuditQuery(null, null, null, null, "pool", pool,
                null, 10)));
        assertThat(forPool).extracting(AuditEvent::actor, AuditEvent::action)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(AuditLog.SYSTEM, "pool.reconcile"),
                        org.assertj.core.groups.Tuple.tuple("alice", "desktop.open"));
        assertThat(forPool.get(1).detail()).isEqualTo("{\"desktop\":\"demo-1\"}");

        List<AuditEvent> failures = admin(() -> audit.search(new AuditQuery(null, null, "mallory", "login", null, null,
                AuditEvent.Outcome.FAILURE, 10)));
        assertThat(failures).singleElement().satisfies(e -> {
            assertThat(e.client()).isEqualTo("127.0.0.1");
            assertThat(e.objectId()).isEqualTo("mallory");
        });
        // "login" matches login.failure but not a made-up "loginx.failure".
        audit.recordAs("mallory", null, "loginx.failure", AuditEvent.Outcome.FAILURE, null, null, null);
        assertThat(admin(() -> audit.search(new AuditQuery(null, null, "mallory", "login", null, null, null, 10))))
                .extracting(AuditEvent::action).containsExactly("login.failure");
    }

    @Test
    void detailIsCappedAndOnlyAdminsRead() {
        audit.record("pool.update", "pool", "big", Map.of("x", "y".repeat(10_000)));
        AuditEvent e = admin(() -> audit.search(new AuditQuery(null, null, null, "pool.update", "pool", "big", null, 1)))
                .getFirst();
        assertThat(e.detail()).hasSize(AuditLog.MAX_DETAIL).endsWith("...");
        assertThatThrownBy(() -> as("alice", () -> audit.search(AuditQuery.latest(5))))
                .isInstanceOf(AccessDeniedException.class);
    }

    private static <T> T admin(Supplier<T> body) {
        var auth = UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_ADMIN")));
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(auth);
        var previous = SecurityContextHolder.getContext();
        SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.setContext(previous);
        }
    }
}
