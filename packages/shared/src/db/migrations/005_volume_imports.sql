-- A config volume copied out of a host being drained, until the workspace's next job on its
-- new host writes it into the new volume (Postgres keeps the copy durable in between).
create table volume_imports (
  workspace_id uuid primary key references workspaces (id) on delete cascade,
  from_host text not null,
  archive bytea not null,
  files integer not null,
  created_at timestamptz not null default now()
);
