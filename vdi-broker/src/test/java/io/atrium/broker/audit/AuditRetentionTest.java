package io.atrium.broker.audit;

import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.MutableClock;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Entries older than the retention are purged (and the purge itself is recorded); newer ones stay. */
@SpringBootTest(classes = {BrokerTestApplication.class, AuditRetentionTest.Edges.class},
        properties = {"atrium.broker.demo.enabled=false", "atrium.broker.audit.retention=30d",
                "atrium.broker.audit.purge-period=0"})
class AuditRetentionTest {

    @TestConfiguration
    static class Edges {
        @Bean @Primary MutableClock testClock() {
            return new MutableClock();
        }
    }

    @Autowired AuditLog audit;
    @Autowired AuditRetention retention;
    @Autowired MutableClock clock;

    @Test
    void entriesPastRetentionArePurgedAndThePurgeIsAudited() {
        audit.recordAs("alice", null, "desktop.open", AuditEvent.Outcome.SUCCESS, "desktop", "old", Map.of());
        clock.advance(Duration.ofDays(20));
        audit.recordAs("alice", null, "desktop.open", AuditEvent.Outcome.SUCCESS, "desktop", "recent", Map.of());
        clock.advance(Duration.ofDays(15));

        // "old" and whatever the start-up recorded (the first-start administrator) are past retention
        int purged = retention.purge();
        assertThat(purged).isPositive();
        List<AuditEvent> left = admin();
        assertThat(left).extracting(AuditEvent::objectId).contains("recent").doesNotContain("old");
        assertThat(left).anySatisfy(e -> {
            assertThat(e.action()).isEqualTo("audit.purge");
            assertThat(e.detail()).contains("\"deleted\":" + purged);
        });
        assertThat(retention.purge()).as("nothing more to purge").isZero();
    }

    private List<AuditEvent> admin() {
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_ADMIN"))));
        SecurityContextHolder.setContext(ctx);
        try {
            return audit.search(AuditQuery.latest(100));
        } finally {
            SecurityContextHolder.clearContext();
        }
    }
}
