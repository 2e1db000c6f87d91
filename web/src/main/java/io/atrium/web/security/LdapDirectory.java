package io.atrium.web.security;

import io.atrium.broker.identity.Account;
import io.atrium.broker.identity.AccountSource;
import io.atrium.broker.identity.IdentityService;
import io.atrium.broker.identity.LoginRefusedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.ldap.DefaultSpringSecurityContextSource;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.ldap.authentication.BindAuthenticator;
import org.springframework.security.ldap.authentication.LdapAuthenticationProvider;
import org.springframework.security.ldap.authentication.ad.ActiveDirectoryLdapAuthenticationProvider;
import org.springframework.security.ldap.search.FilterBasedLdapUserSearch;
import org.springframework.security.ldap.userdetails.DefaultLdapAuthoritiesPopulator;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * LDAP or Active Directory login with Spring Security's own parts: a {@link BindAuthenticator} (the user's own bind
 * proves the password; Atrium never sees a hash) and a {@link DefaultLdapAuthoritiesPopulator} group search, or
 * {@link ActiveDirectoryLdapAuthenticationProvider} for AD. The groups found become the account's groups
 * ({@code group:<name>} entitlements), members of {@code admin-groups} administrators; the login is recorded in the
 * broker ({@link IdentityService#recordExternalLogin}), which refuses a disabled account and never lets a directory
 * name take over a local account.
 */
class LdapDirectory {
    private static final Logger log = LoggerFactory.getLogger(LdapDirectory.class);

    private final AuthenticationProvider provider;
    private final SecurityProperties.Ldap props;
    private final IdentityService identity;

    LdapDirectory(SecurityProperties.Ldap props, IdentityService identity) {
        this.props = props;
        this.identity = identity;
        if (!props.activeDirectoryDomain().isBlank()) {
            var ad = new ActiveDirectoryLdapAuthenticationProvider(props.activeDirectoryDomain(), props.url());
            ad.setConvertSubErrorCodesToExceptions(true);
            this.provider = ad;
        } else {
            // Spring Security's context source: takes the base DN from the URL's path, so patterns are relative to it.
            DefaultSpringSecurityContextSource source = new DefaultSpringSecurityContextSource(props.url());
            if (!props.managerDn().isBlank()) {
                source.setUserDn(props.managerDn());
                source.setPassword(props.managerPassword());
            } else {
                source.setAnonymousReadOnly(true);
            }
            source.afterPropertiesSet();
            BindAuthenticator bind = new BindAuthenticator(source);
            if (!props.userSearchFilter().isBlank()) {
                bind.setUserSearch(new FilterBasedLdapUserSearch(props.userSearchBase(), props.userSearchFilter(), source));
            } else {
                bind.setUserDnPatterns(props.userDnPatterns().toArray(String[]::new));
            }
            DefaultLdapAuthoritiesPopulator groups = new DefaultLdapAuthoritiesPopulator(source, props.groupSearchBase());
            groups.setGroupSearchFilter(props.groupSearchFilter());
            groups.setGroupRoleAttribute(props.groupNameAttribute());
            groups.setRolePrefix("");
            groups.setConvertToUpperCase(false);
            groups.setSearchSubtree(true);
            this.provider = new LdapAuthenticationProvider(bind, groups);
        }
        log.info("LDAP login on: {}", props);
    }

    /**
     * Binds as the user, reads their groups, records the login.
     *
     * @throws LoginRefusedException THROTTLED, BAD_CREDENTIALS (wrong password, unknown user, directory down: the
     *                               same answer), DISABLED
     */
    Account authenticate(String username, String password, String client, String method) {
        identity.checkNotThrottled(client, username);
        if (password.isEmpty() || username.isEmpty()) {
            identity.failed(username, client, method, "empty credentials");
            throw new LoginRefusedException(LoginRefusedException.Reason.BAD_CREDENTIALS, "Wrong user name or password.", null);
        }
        Authentication result;
        try {
            result = provider.authenticate(UsernamePasswordAuthenticationToken.unauthenticated(username, password));
        } catch (BadCredentialsException e) {
            identity.failed(username, client, method, "ldap: wrong password or unknown user");
            throw new LoginRefusedException(LoginRefusedException.Reason.BAD_CREDENTIALS, "Wrong user name or password.", null);
        } catch (AuthenticationException e) {
            identity.failed(username, client, method, "ldap: " + e.getClass().getSimpleName());
            log.warn("LDAP login of {} failed: {}", username, e.getMessage());
            throw new LoginRefusedException(LoginRefusedException.Reason.BAD_CREDENTIALS, "Wrong user name or password.", null);
        }
        Set<String> groups = new LinkedHashSet<>();
        for (GrantedAuthority a : result.getAuthorities()) {
            // Spring Security 7 adds the login's factor (FACTOR_PASSWORD) to the authorities: not a group
            if (!(a instanceof org.springframework.security.core.authority.FactorGrantedAuthority)
                    && !a.getAuthority().startsWith("FACTOR_")) {
                groups.add(a.getAuthority());
            }
        }
        Set<String> admins = new LinkedHashSet<>();
        props.adminGroups().forEach(g -> admins.add(g.toLowerCase(Locale.ROOT)));
        boolean admin = groups.stream().anyMatch(g -> admins.contains(g.toLowerCase(Locale.ROOT)));
        String name = result.getName() == null ? username : result.getName();
        return identity.recordExternalLogin(name, AccountSource.LDAP, name, groups, admin, client);
    }
}
