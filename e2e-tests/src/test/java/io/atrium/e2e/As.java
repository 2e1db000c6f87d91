package io.atrium.e2e;

import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.util.List;
import java.util.function.Supplier;

/** Calls the server's services directly, as the demo administrator (set-up and clean-up of a test). */
public final class As {
    private As() {
    }

    public static <T> T admin(Supplier<T> body) {
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN"))));
        var previous = SecurityContextHolder.getContext();
        SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.setContext(previous);
        }
    }

    public static void admin(Runnable body) {
        admin(() -> {
            body.run();
            return null;
        });
    }
}
