-- This installation's identity, created once, here. Every container, volume and network
-- Dockyard creates carries it as the label dockyard.installation=<id>, so two installations
-- on one Docker engine never touch each other's objects.
create table installation (
  id uuid primary key,
  singleton boolean not null default true unique check (singleton),
  created_at timestamptz not null default now()
);
insert into installation (id) values (gen_random_uuid());

-- Managed Docker objects that carry no installation label and belong to no workspace of
-- ours (made by an older Dockyard, or by the system it replaces): reported once, adopted
-- only when an operator says so.
create table unlabelled_objects (
  docker_id text primary key,
  kind text not null,
  name text not null,
  workspace_id text,
  first_seen_at timestamptz not null default now(),
  adopted_at timestamptz,
  adopted_by text
);
