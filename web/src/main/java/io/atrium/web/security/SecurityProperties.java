package io.atrium.web.security;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.util.List;

/**
 * Login settings ({@code atrium.security.*}). Local accounts always work (the break-glass administrator); LDAP is on
 * when {@code ldap.url} is set; OpenID Connect is on for each client registration under
 * {@code spring.security.oauth2.client.registration.*} (the login page offers "Sign in with &lt;client-name&gt;").
 */
@Validated
@ConfigurationProperties("atrium.security")
public record SecurityProperties(@Valid @NotNull @DefaultValue Ldap ldap, @Valid @NotNull @DefaultValue Oidc oidc) {

    /**
     * A directory: bind authentication as the user, then a group search.
     *
     * @param url                   e.g. {@code ldap://dc.example.com:389/dc=example,dc=com}; empty: LDAP is off
     * @param userDnPatterns        where users are, relative to the URL's base, e.g. {@code uid={0},ou=people}
     * @param userSearchBase        instead of patterns: search for the user under this base (relative) ...
     * @param userSearchFilter      ... with this filter, e.g. {@code (uid={0})} or {@code (sAMAccountName={0})}
     * @param managerDn             who searches (empty: anonymous search)
     * @param managerPassword       its password
     * @param groupSearchBase       where groups are, relative to the base, e.g. {@code ou=groups}
     * @param groupSearchFilter     {@code {0}} is the user's DN, {@code {1}} the user name; e.g. {@code (member={0})}
     * @param groupNameAttribute    the group attribute that becomes the group name ({@code group:<name>})
     * @param adminGroups           members of these groups are administrators
     * @param activeDirectoryDomain set (e.g. {@code example.com}) to log in to Active Directory as
     *                              {@code user@domain} with its own group lookup ({@code memberOf}) instead
     */
    public record Ldap(@DefaultValue("") String url,
                       @NotNull @DefaultValue("uid={0},ou=people") List<String> userDnPatterns,
                       @DefaultValue("") String userSearchBase,
                       @DefaultValue("") String userSearchFilter,
                       @DefaultValue("") String managerDn,
                       @DefaultValue("") String managerPassword,
                       @DefaultValue("ou=groups") String groupSearchBase,
                       @DefaultValue("(member={0})") String groupSearchFilter,
                       @DefaultValue("cn") String groupNameAttribute,
                       @NotNull @DefaultValue List<String> adminGroups,
                       @DefaultValue("") String activeDirectoryDomain) {
        public boolean enabled() {
            return url != null && !url.isBlank();
        }

        @Override
        public String toString() {
            return "Ldap[url=" + url + ", managerDn=" + managerDn + "]";
        }
    }

    /**
     * How an OpenID Connect ID token becomes an Atrium user.
     *
     * @param usernameClaim    the claim that is the user name (e.g. {@code preferred_username}, {@code email})
     * @param displayNameClaim the claim shown as the user's name
     * @param groupsClaim      the claim with the user's groups (a list of strings)
     * @param adminGroups      members of these groups are administrators
     */
    public record Oidc(@DefaultValue("preferred_username") String usernameClaim,
                       @DefaultValue("name") String displayNameClaim,
                       @DefaultValue("groups") String groupsClaim,
                       @NotNull @DefaultValue List<String> adminGroups) {
    }
}
