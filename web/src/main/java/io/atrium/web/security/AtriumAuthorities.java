package io.atrium.web.security;

import io.atrium.broker.identity.Account;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.FactorGrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The authorities of an authenticated Atrium user, whatever the source: {@code ROLE_USER}, {@code ROLE_ADMIN} for
 * administrators, {@code GROUP_<name>} per group (so pool entitlements {@code group:<name>} match), and one
 * {@link FactorGrantedAuthority} per factor the login proved (Spring Security 7's multi-factor model:
 * {@code FACTOR_PASSWORD}, {@code FACTOR_TOTP}, {@code FACTOR_BEARER}, {@code FACTOR_AUTHORIZATION_CODE}).
 */
public final class AtriumAuthorities {
    /** The second factor of local accounts. */
    public static final String TOTP_FACTOR = "FACTOR_TOTP";

    private AtriumAuthorities() {
    }

    public static List<GrantedAuthority> of(Account a, boolean admin, Collection<String> factors) {
        List<GrantedAuthority> out = new ArrayList<>();
        out.add(new SimpleGrantedAuthority("ROLE_USER"));
        if (admin) {
            out.add(new SimpleGrantedAuthority("ROLE_ADMIN"));
        }
        a.groups().forEach(g -> out.add(new SimpleGrantedAuthority("GROUP_" + g)));
        factors.forEach(f -> out.add(FactorGrantedAuthority.fromAuthority(f)));
        return out;
    }

    public static List<GrantedAuthority> of(Account a, Collection<String> factors) {
        return of(a, a.admin(), factors);
    }
}
