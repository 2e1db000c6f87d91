package io.atrium.web.security;

import io.atrium.broker.identity.ApiToken;
import io.atrium.broker.identity.IdentityService;
import io.atrium.broker.identity.LoginRefusedException;
import io.atrium.broker.identity.TokenService;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.FactorGrantedAuthority;
import org.springframework.security.web.authentication.AuthenticationConverter;

import java.util.Collection;
import java.util.List;

/**
 * A personal access token ({@code Authorization: Bearer atr_…}): the credential of the REST API and, for other
 * clients, of the console WebSocket's upgrade. Before authentication it holds only the token value; after, the
 * account's name and authorities (administrator rights only for an ADMIN-scoped token of an administrator) and the
 * token's id. The value is erased after authentication and never shown by {@link #toString()}.
 */
public final class ApiTokenAuthentication extends AbstractAuthenticationToken {
    private String value;
    private final String username;
    private final String tokenId;

    private ApiTokenAuthentication(String value) {
        super((Collection<? extends GrantedAuthority>) null);
        this.value = value;
        this.username = null;
        this.tokenId = null;
    }

    private ApiTokenAuthentication(String username, String tokenId, Collection<? extends GrantedAuthority> authorities) {
        super(authorities);
        this.value = null;
        this.username = username;
        this.tokenId = tokenId;
        setAuthenticated(true);
    }

    @Override
    public Object getCredentials() {
        return value;
    }

    @Override
    public Object getPrincipal() {
        return username;
    }

    @Override
    public String getName() {
        return username;
    }

    public String tokenId() {
        return tokenId;
    }

    @Override
    public void eraseCredentials() {
        value = null;
    }

    @Override
    public String toString() {
        return "ApiTokenAuthentication[" + (username == null ? "unauthenticated" : username + ", token " + tokenId) + "]";
    }

    /** Reads {@code Authorization: Bearer <token>}; null when the request has none (another mechanism may apply). */
    static final AuthenticationConverter CONVERTER = (HttpServletRequest request) -> {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return new ApiTokenAuthentication(header.substring(7).strip());
    };

    /** Looks the token up in the broker at every request (nothing cached). */
    static final class Provider implements AuthenticationProvider {
        private final TokenService tokens;
        private final IdentityService identity;

        Provider(TokenService tokens, IdentityService identity) {
            this.tokens = tokens;
            this.identity = identity;
        }

        @Override
        public Authentication authenticate(Authentication authentication) {
            String client = ClientAddress.of(ClientAddress.currentRequest());
            ApiToken.Grant grant;
            try {
                grant = tokens.authenticate((String) authentication.getCredentials(), client);
            } catch (LoginRefusedException e) {
                throw new RefusedLoginException(e);
            }
            return new ApiTokenAuthentication(grant.account().username(), grant.token().id(), AtriumAuthorities.of(
                    grant.account(), grant.admin(), List.of(FactorGrantedAuthority.BEARER_AUTHORITY)));
        }

        @Override
        public boolean supports(Class<?> authentication) {
            return ApiTokenAuthentication.class.isAssignableFrom(authentication);
        }
    }
}
