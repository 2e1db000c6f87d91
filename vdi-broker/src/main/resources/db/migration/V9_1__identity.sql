-- Identity (issue 9): accounts from every source, groups, memberships, second factors, API tokens, login throttling.
-- Local accounts have a password hash; LDAP and OIDC accounts are recorded at each login (groups as last seen).
create table app_user (
    username             varchar(100)  primary key,
    display_name         varchar(200),
    source               varchar(16)   not null,
    password_hash        varchar(200),
    enabled              boolean       not null,
    admin                boolean       not null,
    must_change_password boolean       not null,
    totp_secret          varchar(200),
    totp_enabled         boolean       not null,
    totp_last_step       bigint        not null,
    created_at           timestamp with time zone not null,
    last_login_at        timestamp with time zone
);

create table app_group (
    name        varchar(100)  primary key,
    description varchar(500),
    created_at  timestamp with time zone not null
);

-- Members of groups: LOCAL rows are managed by administrators; LDAP/OIDC rows are replaced at each login of that user.
create table group_member (
    group_name  varchar(100)  not null,
    username    varchar(100)  not null references app_user (username) on delete cascade,
    source      varchar(16)   not null,
    primary key (group_name, username, source)
);
create index group_member_user on group_member (username);

create table recovery_code (
    username    varchar(100)  not null references app_user (username) on delete cascade,
    code_hash   char(64)      not null,
    used_at     timestamp with time zone,
    primary key (username, code_hash)
);

create table api_token (
    id           varchar(36)   primary key,
    username     varchar(100)  not null references app_user (username) on delete cascade,
    name         varchar(100)  not null,
    token_hash   char(64)      not null unique,
    scope        varchar(16)   not null,
    created_at   timestamp with time zone not null,
    expires_at   timestamp with time zone not null,
    last_used_at timestamp with time zone,
    revoked_at   timestamp with time zone
);
create index api_token_user on api_token (username);

-- Failed logins per client address ("addr:<ip>") and per account ("user:<name>"): backoff, then a lockout.
create table login_throttle (
    throttle_key     varchar(300)  primary key,
    failures         int           not null,
    last_failure_at  timestamp with time zone not null,
    locked_until     timestamp with time zone
);

-- Settings an administrator changes at run time (e.g. require-mfa-for-admins).
create table identity_setting (
    setting_name   varchar(100)  primary key,
    setting_value  varchar(500)  not null
);
