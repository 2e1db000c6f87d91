package io.atrium.web.security;

import io.atrium.broker.identity.Account;
import io.atrium.broker.identity.AccountSource;
import io.atrium.broker.identity.IdentityService;
import io.atrium.broker.identity.LoginRefusedException;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.authority.FactorGrantedAuthority;

import java.util.List;
import java.util.Optional;

/**
 * User name and password, for the form login and HTTP Basic: a local account is checked by the broker
 * ({@link IdentityService#authenticatePassword}); any other name goes to the directory when LDAP is configured
 * ({@link LdapDirectory}). Either way the brute-force guard is asked first and told of every failure, and the result
 * carries the {@link Account} as details, so the form login can continue with the next step (new password, second
 * factor). HTTP Basic is refused for an account that must change its password or needs a second factor: those use
 * an API token.
 */
class AtriumAuthenticationProvider implements AuthenticationProvider {
    private final IdentityService identity;
    private final Optional<LdapDirectory> ldap;

    AtriumAuthenticationProvider(IdentityService identity, Optional<LdapDirectory> ldap) {
        this.identity = identity;
        this.ldap = ldap;
    }

    @Override
    public Authentication authenticate(Authentication authentication) throws AuthenticationException {
        String username = authentication.getName() == null ? "" : authentication.getName().strip();
        String password = authentication.getCredentials() == null ? "" : authentication.getCredentials().toString();
        HttpServletRequest request = ClientAddress.currentRequest();
        String client = ClientAddress.of(request);
        String method = request != null && request.getHeader("Authorization") != null ? "basic" : "form";
        Account account;
        try {
            Optional<Account> known = identity.find(username);
            if (ldap.isPresent() && (known.isEmpty() || known.get().source() == AccountSource.LDAP)) {
                account = ldap.get().authenticate(username, password, client, method);
            } else {
                account = identity.authenticatePassword(username, password, client, method);
            }
        } catch (LoginRefusedException e) {
            throw new RefusedLoginException(e);
        }
        if (method.equals("basic")) {
            if (account.mustChangePassword()) {
                throw new RefusedLoginException(LoginRefusedException.Reason.BAD_CREDENTIALS,
                        "This account must change its password first (log in to the web UI).");
            }
            if (identity.needsSecondFactor(account)) {
                throw new RefusedLoginException(LoginRefusedException.Reason.BAD_CREDENTIALS,
                        "This account logs in with a second factor: use an API token.");
            }
            identity.succeeded(account, client, method);
        }
        var result = UsernamePasswordAuthenticationToken.authenticated(account.username(), null,
                AtriumAuthorities.of(account, List.of(FactorGrantedAuthority.PASSWORD_AUTHORITY)));
        result.setDetails(account);
        return result;
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
