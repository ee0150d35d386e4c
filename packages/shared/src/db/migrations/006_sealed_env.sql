-- Workspace env values are secrets. The application seals them (AES-256-GCM under SECRETS_KEY,
-- packages/shared/src/secrets.ts) into env_sealed; env_names lists the names (not secret) so the
-- API can show them without the key. `env` keeps only what an older Dockyard wrote in clear, until
-- the migrate CLI (packages/shared/src/db/migrate-cli.ts) seals it right after this migration and
-- empties it.
alter table workspaces add column env_sealed text;
alter table workspaces add column env_names text[] not null default '{}';
update workspaces set env_names = array(select jsonb_object_keys(env) order by 1) where env <> '{}'::jsonb;
comment on column workspaces.env is 'legacy: env in clear from before 006; sealed into env_sealed and emptied by the migrate CLI';
