package io.atrium.broker.gpu;

import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolRepository;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/** Shared pieces of the GPU scheduling tests. */
final class GpuTestSupport {
    private GpuTestSupport() {
    }

    @TestConfiguration
    static class Edges {
        @Bean
        FakeMachineHost machines() {
            return new FakeMachineHost();
        }
    }

    /** Runs {@code body} as the administrator (ROLE_ADMIN), as the web layer would after login. */
    static <T> T asAdmin(Supplier<T> body) {
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

    static Pool newPool(PoolRepository pools, String name, int size) {
        Pool pool = Pool.fixed(UUID.randomUUID().toString(), name, PoolKind.POOLED, "console", 1, 128, size,
                List.of("group:demo"), Instant.now());
        pools.save(pool);
        return pool;
    }
}
