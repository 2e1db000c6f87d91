-- A session: one user's tenure on an assigned desktop, from "Open" to log off.
-- Active sessions have ended_at null; at most one per desktop (kept by the broker).
create table desktop_session (
    id               varchar(64)  primary key,
    desktop_id       varchar(64)  not null references desktop (id) on delete cascade,
    username         varchar(100) not null,
    started_at       timestamp with time zone not null,
    connected_at     timestamp with time zone,
    disconnected_at  timestamp with time zone,
    last_input_at    timestamp with time zone,
    ended_at         timestamp with time zone,
    end_reason       varchar(32)
);
create index desktop_session_desktop on desktop_session (desktop_id, ended_at);
create index desktop_session_active on desktop_session (ended_at, started_at);
