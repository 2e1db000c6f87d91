-- Pools get a minimum and maximum size, warm spares and session timeouts (seconds).
alter table pool add column min_size int;
alter table pool add column max_size int;
alter table pool add column spares int default 0 not null;
alter table pool add column idle_timeout_s bigint default 1800 not null;
alter table pool add column disconnect_grace_s bigint default 900 not null;
alter table pool add column max_session_s bigint default 36000 not null;
update pool set min_size = size, max_size = size;
alter table pool alter column min_size set not null;
alter table pool alter column max_size set not null;
alter table pool drop column size;
