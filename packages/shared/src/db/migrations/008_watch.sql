-- The watch stream (GET /v1/watch) reads workspace_events as an outbox. `id` is a bigserial, and
-- concurrent transactions commit out of id order, so "id > last seen" could skip a row that
-- commits late. Each row therefore records the transaction that wrote it (`xid`); a reader emits
-- only rows whose xid is below its snapshot's xmin (every transaction with a smaller xid has
-- ended, so no row can still appear there), in (xid, id) order.
-- Existing rows all get this migration's xid: they stay ordered by id.
alter table workspace_events add column xid xid8 not null default pg_current_xact_id();
create index workspace_events_xid_idx on workspace_events (xid, id);

-- The workspace's generation when the event was written (null for rows older than this column).
alter table workspace_events add column generation integer;

create function workspace_events_generation() returns trigger language plpgsql as $$
begin
  select generation into new.generation from workspaces where id = new.workspace_id;
  return new;
end $$;

create trigger workspace_events_generation
  before insert on workspace_events
  for each row when (new.generation is null)
  execute function workspace_events_generation();

-- Wake the API processes' watch feeds: one notification per inserting statement, sent at commit.
create function workspace_events_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('workspace_events', '');
  return null;
end $$;

create trigger workspace_events_notify
  after insert on workspace_events
  for each statement
  execute function workspace_events_notify();
