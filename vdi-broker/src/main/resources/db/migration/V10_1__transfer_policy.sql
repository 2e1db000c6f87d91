-- Issue 10: what may cross between a pool's desktops and the browser, per pool. No row: the defaults
-- (TransferPolicy.DEFAULT).
create table pool_transfer_policy (
    pool_id              varchar(64)  primary key references pool (id) on delete cascade,
    clipboard            varchar(24)  not null,
    clipboard_max_bytes  int          not null,
    files                varchar(16)  not null,
    file_max_bytes       bigint       not null,
    updated_at           timestamp with time zone not null
);
