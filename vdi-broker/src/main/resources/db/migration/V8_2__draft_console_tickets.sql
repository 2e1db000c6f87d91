-- Console tickets for the image library's draft machines (an administrator installs or edits a version in the
-- browser viewer): like console_ticket (256 random bits, only the hash stored, single use, short-lived, bound to one
-- user), bound to a version instead of a desktop.
create table image_console_ticket (
    hash        char(64)      primary key,
    username    varchar(100)  not null,
    version_id  varchar(100)  not null references image_version (id) on delete cascade,
    issued_at   timestamp with time zone not null,
    expires_at  timestamp with time zone not null,
    used_at     timestamp with time zone
);
create index image_console_ticket_expiry on image_console_ticket (expires_at);
