-- Where a running workspace is reached (host, network, alias, published ports), read from the
-- engine after every start. It describes a running container, so it is kept only while the
-- workspace is online: any other status clears it (the host port may change on the next start).
alter table workspaces add column endpoint jsonb;

create function workspaces_endpoint_only_online() returns trigger language plpgsql as $$
begin
  if new.status <> 'online' then
    new.endpoint := null;
  end if;
  return new;
end $$;

create trigger workspaces_endpoint_only_online
  before update of status, endpoint on workspaces
  for each row when (new.status <> 'online' and new.endpoint is not null)
  execute function workspaces_endpoint_only_online();
