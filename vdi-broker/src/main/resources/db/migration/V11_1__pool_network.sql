-- Desktop networks (issue 11): a pool's network mode and, for a lab, its addressing. No row: isolated.
-- A lab's switch id names its switch on the host; new addressing gets a new id (the host keeps the old
-- switch until its last desktop stops), so two pools never share one.
create table pool_network (
    pool_id     varchar(64)  primary key references pool (id) on delete cascade,
    mode        varchar(16)  not null,
    subnet      varchar(18),
    gateway     varchar(15),
    dhcp_first  varchar(15),
    dhcp_last   varchar(15),
    nat         boolean      not null,
    switch_id   varchar(8)   unique,
    updated_at  timestamp with time zone not null
);
