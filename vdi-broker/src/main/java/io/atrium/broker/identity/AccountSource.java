package io.atrium.broker.identity;

/** Where an account's identity comes from. */
public enum AccountSource {
    /** Stored here with a password hash, managed by administrators. */
    LOCAL,
    /** A directory (LDAP, Active Directory): recorded at each login, groups as the directory said then. */
    LDAP,
    /** An OpenID Connect provider: recorded at each login, groups from the ID token's claims. */
    OIDC
}
