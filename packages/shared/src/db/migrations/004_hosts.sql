-- The fleet: each Docker host has its own worker process(es) next to its engine; a
-- workspace is placed on one host, and its jobs run only there.
create type host_state as enum ('ready', 'cordoned', 'draining', 'lost');
create table hosts (
  name text primary key,
  labels jsonb not null default '{}'::jsonb,
  capacity integer not null,
  state host_state not null default 'ready',
  -- null until a worker of the host first reported
  last_heartbeat timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table workspaces add column host text;
create index workspaces_host_idx on workspaces (host, status);

-- An upgrade: the workspaces so far ran on the one engine, which becomes host `local`.
insert into hosts (name, capacity) select 'local', 100 where exists (select 1 from workspaces);
update workspaces set host = 'local';
