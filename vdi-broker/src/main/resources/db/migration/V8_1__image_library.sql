-- The image library (issue 8): images, their immutable versions with a state each, a log per version, which version
-- each pool pins (plus an optional canary version on N of its desktops), which version each desktop runs, and
-- rollouts of a new version to a pool.

create table image (
    id           varchar(64)   primary key,
    name         varchar(64)   not null unique,
    kind         varchar(16)   not null,            -- BUILTIN (Atrium's recipes) or LIBRARY
    description  varchar(500),
    created_at   timestamp with time zone not null
);

-- A version's id is what the host knows it by: the recipe hash of a built-in image, the broker's id otherwise.
create table image_version (
    id              varchar(100)  primary key,
    image_id        varchar(64)   not null references image (id) on delete cascade,
    number          int           not null,
    state           varchar(16)   not null,
    source          varchar(16)   not null,         -- BUILTIN, UPLOAD, INSTALL, EDIT
    kind            varchar(16)   not null,         -- DISK or MEDIUM (an ISO)
    format          varchar(8),                     -- the format an upload was claimed to be
    firmware        varchar(8)    not null,
    memory_mb       int           not null,
    parent_id       varchar(100),                   -- EDIT: the version it is a clone of; INSTALL: the medium
    upload_id       varchar(64),
    upload_bytes    bigint,                         -- the size the uploader announced
    received_bytes  bigint        not null default 0,
    sha256          varchar(64),
    virtual_size    bigint,
    guest_agent     boolean,                        -- null until a boot test: whether instant clones are possible
    machine         varchar(63),                    -- the draft machine's name while the version is being made
    auto_seal       boolean       not null default true,
    state_reason    varchar(1000),
    created_by      varchar(100),
    created_at      timestamp with time zone not null,
    updated_at      timestamp with time zone not null,
    unique (image_id, number)
);
create index image_version_state on image_version (state);

create table image_version_log (
    version_id  varchar(100)  not null references image_version (id) on delete cascade,
    seq         bigint        not null,
    at          timestamp with time zone not null,
    level       varchar(8)    not null,
    message     varchar(2000) not null,
    primary key (version_id, seq)
);

-- Per pool: the pinned version (null: the pool's built-in image, resolved to its current version at start-up) and an
-- optional canary version on canary_size of its desktops.
create table pool_image (
    pool_id            varchar(64)  primary key references pool (id) on delete cascade,
    version_id         varchar(100) references image_version (id),
    canary_version_id  varchar(100) references image_version (id),
    canary_size        int          not null default 0,
    updated_at         timestamp with time zone not null
);

-- The version each desktop's machine was last started with.
create table desktop_image (
    desktop_id  varchar(64)   primary key references desktop (id) on delete cascade,
    version_id  varchar(100)  not null,
    started_at  timestamp with time zone not null
);

-- A new version published to a pool: at log off (idle desktops replaced at once, busy ones when their user logs off)
-- or forced (users are told, and logged off after the grace period), in batches, stopped at the first failed desktop.
create table image_rollout (
    id            varchar(64)   primary key,
    pool_id       varchar(64)   not null references pool (id) on delete cascade,
    from_version  varchar(100),
    to_version    varchar(100)  not null references image_version (id),
    mode          varchar(16)   not null,
    batch_size    int           not null,
    grace_s       bigint        not null,
    rollback      boolean       not null,
    state         varchar(16)   not null,           -- RUNNING, DONE, FAILED, CANCELLED
    message       varchar(1000),
    started_by    varchar(100)  not null,
    started_at    timestamp with time zone not null,
    ended_at      timestamp with time zone
);
create index image_rollout_pool on image_rollout (pool_id, state);

-- Forced rollouts: when each user was told and when they are logged off.
create table rollout_desktop (
    rollout_id   varchar(64)  not null references image_rollout (id) on delete cascade,
    desktop_id   varchar(64)  not null references desktop (id) on delete cascade,
    notified_at  timestamp with time zone not null,
    logoff_at    timestamp with time zone not null,
    done         boolean      not null default false,
    primary key (rollout_id, desktop_id)
);

-- Atrium's two recipes are images of the library; every existing pool pins its built-in image (its version is
-- resolved at start-up, when the host names its recipe's hash).
insert into image (id, name, kind, description, created_at)
    values ('builtin-console', 'console', 'BUILTIN', 'Atrium''s console guest (Debian cloud kernel, busybox)',
            current_timestamp);
insert into image (id, name, kind, description, created_at)
    values ('builtin-x-desktop', 'x-desktop', 'BUILTIN', 'Atrium''s X desktop (Debian, Xorg, jwm, xterm)',
            current_timestamp);
insert into pool_image (pool_id, version_id, canary_version_id, canary_size, updated_at)
    select id, null, null, 0, current_timestamp from pool;
