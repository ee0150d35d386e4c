-- Crash-loop bookkeeping for auto-restart (per workspace, not per job).
alter table workspaces add column crash_times timestamptz[] not null default '{}';
-- when the workspace last became online; a run this long resets the crash-loop backoff
alter table workspaces add column running_since timestamptz;
create index workspaces_desired_idx on workspaces (desired_state, status);
