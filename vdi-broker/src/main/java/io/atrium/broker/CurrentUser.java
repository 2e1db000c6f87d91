package io.atrium.broker;

import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.util.Set;
import java.util.stream.Collectors;

/**
 * The authenticated caller as the broker sees it. Services read it from the security
 * context themselves; they never take a user name from the UI.
 *
 * @param name   the user name
 * @param groups group names, from authorities {@code GROUP_<name>}
 * @param admin  whether the user has {@code ROLE_ADMIN}
 */
public record CurrentUser(String name, Set<String> groups, boolean admin) {

    public static CurrentUser get() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth == null || !auth.isAuthenticated() || auth.getName() == null) {
            throw new BrokerException(BrokerStatus.FORBIDDEN, "not logged in");
        }
        Set<String> authorities = auth.getAuthorities().stream().map(GrantedAuthority::getAuthority)
                .collect(Collectors.toSet());
        Set<String> groups = authorities.stream().filter(a -> a.startsWith("GROUP_"))
                .map(a -> a.substring("GROUP_".length())).collect(Collectors.toUnmodifiableSet());
        return new CurrentUser(auth.getName(), groups, authorities.contains("ROLE_ADMIN"));
    }

    /** Whether an entitlement principal ({@code user:NAME} or {@code group:NAME}) covers this user. */
    public boolean matches(String principal) {
        if (principal.startsWith("user:")) {
            return principal.substring(5).equals(name);
        }
        if (principal.startsWith("group:")) {
            return groups.contains(principal.substring(6));
        }
        return false;
    }
}
