-- The audit log: append-only (the application only inserts; rows leave only through the retention purge).
create table audit_event (
    id           varchar(36)   primary key,
    at           timestamp with time zone not null,
    actor        varchar(200)  not null,
    action       varchar(100)  not null,
    outcome      varchar(16)   not null,
    object_type  varchar(50),
    object_id    varchar(200),
    client       varchar(100),
    detail       varchar(4000)
);
create index audit_event_at on audit_event (at);
create index audit_event_actor on audit_event (actor, at);
create index audit_event_action on audit_event (action, at);
