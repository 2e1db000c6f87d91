package io.atrium.broker;

import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.util.List;
import java.util.function.Supplier;

/** Runs code as a logged-in user, as the web layer would after form login. */
public final class TestUsers {
    private TestUsers() {
    }

    public static <T> T as(String user, Supplier<T> body) {
        var auth = UsernamePasswordAuthenticationToken.authenticated(user, null,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("GROUP_demo")));
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

    public static void as(String user, Runnable body) {
        as(user, () -> {
            body.run();
            return null;
        });
    }
}
