package io.atrium.web.security;

import io.atrium.broker.identity.Account;
import io.atrium.broker.identity.AccountSource;
import io.atrium.broker.identity.IdentityService;
import io.atrium.broker.identity.LoginRefusedException;
import org.springframework.security.core.authority.FactorGrantedAuthority;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserRequest;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserService;
import org.springframework.security.oauth2.client.userinfo.OAuth2UserService;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns an OpenID Connect login (Spring Security's OAuth2 client: authorization code flow, ID token checked by it)
 * into an Atrium user: the user name from {@code atrium.security.oidc.username-claim}, groups from
 * {@code groups-claim}, administrators from {@code admin-groups}. The login is recorded in the broker, which refuses
 * a disabled account and a name that belongs to a local account.
 */
class OidcAccounts implements OAuth2UserService<OidcUserRequest, OidcUser> {
    private final OidcUserService delegate = new OidcUserService();
    private final IdentityService identity;
    private final SecurityProperties.Oidc props;

    OidcAccounts(IdentityService identity, SecurityProperties.Oidc props) {
        this.identity = identity;
        this.props = props;
    }

    @Override
    public OidcUser loadUser(OidcUserRequest request) {
        OidcUser user = delegate.loadUser(request);
        String nameClaim = user.getClaimAsString(props.usernameClaim()) != null ? props.usernameClaim() : "sub";
        String username = user.getClaimAsString(nameClaim);
        List<String> groups = groups(user.getClaims().get(props.groupsClaim()));
        Set<String> adminGroups = props.adminGroups().stream().map(g -> g.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        boolean admin = groups.stream().anyMatch(g -> adminGroups.contains(g.toLowerCase(Locale.ROOT)));
        String displayName = user.getClaimAsString(props.displayNameClaim());
        Account account;
        try {
            account = identity.recordExternalLogin(username, AccountSource.OIDC, displayName == null ? username : displayName,
                    groups, admin, ClientAddress.of(ClientAddress.currentRequest()));
        } catch (LoginRefusedException e) {
            throw new OAuth2AuthenticationException(new OAuth2Error("access_denied", e.getMessage(), null), e.getMessage());
        }
        return new DefaultOidcUser(AtriumAuthorities.of(account, List.of(FactorGrantedAuthority.AUTHORIZATION_CODE_AUTHORITY)),
                user.getIdToken(), user.getUserInfo(), nameClaim);
    }

    private static List<String> groups(Object claim) {
        List<String> out = new ArrayList<>();
        if (claim instanceof Collection<?> c) {
            c.forEach(g -> out.add(String.valueOf(g)));
        } else if (claim instanceof String s) {
            for (String g : s.split("[,\\s]+")) {
                if (!g.isBlank()) {
                    out.add(g);
                }
            }
        }
        return out;
    }
}
