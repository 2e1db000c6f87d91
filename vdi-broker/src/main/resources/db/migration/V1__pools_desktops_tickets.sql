create table pool (
    id          varchar(64)  primary key,
    name        varchar(100) not null unique,
    kind        varchar(16)  not null,
    image       varchar(64)  not null,
    vcpus       int          not null,
    memory_mb   int          not null,
    size        int          not null,
    created_at  timestamp with time zone not null
);

create table entitlement (
    pool_id     varchar(64)  not null references pool (id) on delete cascade,
    principal   varchar(200) not null,
    primary key (pool_id, principal)
);

create table desktop (
    id            varchar(64)  primary key,
    pool_id       varchar(64)  not null references pool (id),
    name          varchar(100) not null unique,
    state         varchar(20)  not null,
    assigned_user varchar(100),
    mac           varchar(17)  not null unique,
    state_reason  varchar(500),
    version       bigint       not null default 0,
    created_at    timestamp with time zone not null,
    updated_at    timestamp with time zone not null
);
-- One desktop per user and pool; NULL (unassigned) rows are not constrained.
create unique index desktop_one_per_user on desktop (pool_id, assigned_user);
create index desktop_pool_state on desktop (pool_id, state);

create table console_ticket (
    hash        char(64)     primary key,
    username    varchar(100) not null,
    desktop_id  varchar(64)  not null references desktop (id) on delete cascade,
    issued_at   timestamp with time zone not null,
    expires_at  timestamp with time zone not null,
    used_at     timestamp with time zone
);
create index console_ticket_expiry on console_ticket (expires_at);
