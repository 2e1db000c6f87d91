-- GPU sharing: a pool may name a GPU profile; each desktop of such a pool holds one slice.

create table pool_gpu (
    pool_id      varchar(64)  primary key references pool (id) on delete cascade,
    profile      varchar(64)  not null,
    -- why the last reconcile could not place every desktop; null when it could
    shortfall    varchar(1000),
    updated_at   timestamp with time zone not null
);

-- One row per slice held. No cascade from desktop: a desktop row cannot be deleted while it
-- holds a slice, so the in-memory accounting is always released through GpuService.
create table gpu_slice (
    id           varchar(64)  primary key,
    desktop_id   varchar(64)  not null unique references desktop (id),
    gpu_index    int          not null,
    gpu_uuid     varchar(100) not null,
    mode         varchar(16)  not null,
    profile      varchar(64)  not null,
    start_slice  int          not null,
    size_slices  int          not null,
    simulated    boolean      not null,
    created_at   timestamp with time zone not null
);
-- A GPU is in one mode at a time and no two slices of it share a start (MIG memory slice,
-- time-sliced slot, or 0 for a whole GPU): a database-level backstop against giving a slice twice.
create unique index gpu_slice_one_per_start on gpu_slice (gpu_uuid, start_slice);

-- Sharing mode an administrator chose for a GPU (absent: the GPU's default mode).
create table gpu_mode (
    gpu_uuid     varchar(100) primary key,
    mode         varchar(16)  not null,
    updated_at   timestamp with time zone not null
);
