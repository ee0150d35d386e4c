create type workspace_status as enum ('provisioning', 'online', 'offline', 'failed', 'paused', 'removed');
create type desired_state as enum ('running', 'stopped', 'removed');

create table workspaces (
  id uuid primary key,
  name text not null,
  runtime text not null,
  env jsonb not null default '{}'::jsonb,
  status workspace_status not null,
  desired_state desired_state not null default 'running',
  -- bumped for every new job; jobs carry the generation they were made for
  generation integer not null default 0,
  step text,
  last_error text,
  restart_count integer not null default 0,
  next_restart_at timestamptz,
  provision_started_at timestamptz,
  -- the run slot: at most one job runs per workspace, at most one waits
  queued_job_id text,
  queued_action jsonb,
  running_job_id text,
  running_action jsonb,
  running_token uuid,
  lease_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index workspaces_list_idx on workspaces (created_at desc, id desc);
create index workspaces_status_idx on workspaces (status);
create index workspaces_runtime_idx on workspaces (runtime);

create table workspace_events (
  id bigserial primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade,
  at timestamptz not null default clock_timestamp(),
  from_status workspace_status,
  to_status workspace_status not null,
  cause text not null,
  job_id text,
  attempt integer,
  message text
);
create index workspace_events_ws_idx on workspace_events (workspace_id, id desc);

create table idempotency_keys (
  key text primary key,
  request_hash text not null,
  -- deferred: the key is claimed first, the workspace inserted after, in one transaction
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  created_at timestamptz not null default now()
);

create table dead_letters (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade,
  job_id text not null,
  job jsonb not null,
  error text not null,
  step text,
  attempts jsonb not null default '[]'::jsonb,
  created_at timestamptz not null default now(),
  replayed_at timestamptz,
  replay_job_id text
);
create index dead_letters_list_idx on dead_letters (created_at desc, id desc);
