-- The provisioner's state, kept where a restarted broker (and later a second one) finds it.

-- A lease: who may run the one task of a desktop ('desktop:<id>': start, refresh, shutdown) or of a pool
-- ('pool:<id>': reconcile, deletion) that may be in flight. Free when owner is null or expires_at has passed.
-- expires_at is set from the database's clock (current_timestamp), never a broker's. fence grows by one at each
-- acquisition, so a holder whose lease expired and was taken over can no longer renew or release it.
create table lease (
    name        varchar(100) primary key,
    owner       varchar(100),
    expires_at  timestamp with time zone,
    fence       bigint       not null
);

-- Per desktop: how often in a row its VM failed to start (drives the backoff), and the user whose pooled desktop
-- was taken away because its VM died, so that they are told why instead of "not yours".
create table desktop_recovery (
    desktop_id  varchar(64)  primary key references desktop (id) on delete cascade,
    failures    int          not null default 0,
    lost_by     varchar(100),
    lost_at     timestamp with time zone
);
