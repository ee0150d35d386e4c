import type { Queryable } from './pool.ts';

/** This installation's id (created by migration 003). */
export async function getInstallationId(q: Queryable): Promise<string> {
  const { rows } = await q.query<{ id: string }>('select id::text from installation');
  if (!rows[0]) throw new Error('the installation table is empty: run the migrations');
  return rows[0].id;
}

export interface UnlabelledObjectRow {
  docker_id: string;
  kind: 'container';
  name: string;
  workspace_id: string | null;
  first_seen_at: Date;
  adopted_at: Date | null;
  adopted_by: string | null;
}

/** Remember unlabelled objects; returns those seen for the first time (to be reported once). */
export async function recordUnlabelled(
  q: Queryable,
  objects: Array<{ dockerId: string; kind: 'container'; name: string; workspaceId: string | null }>,
): Promise<UnlabelledObjectRow[]> {
  if (objects.length === 0) return [];
  const { rows } = await q.query<UnlabelledObjectRow>(
    `insert into unlabelled_objects (docker_id, kind, name, workspace_id)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])
     on conflict (docker_id) do nothing
     returning *`,
    [objects.map((o) => o.dockerId), objects.map((o) => o.kind), objects.map((o) => o.name), objects.map((o) => o.workspaceId)],
  );
  return rows;
}

/** The unlabelled objects recorded so far, adopted or not, oldest first. */
export async function listUnlabelled(q: Queryable): Promise<UnlabelledObjectRow[]> {
  const { rows } = await q.query<UnlabelledObjectRow>('select * from unlabelled_objects order by first_seen_at, docker_id');
  return rows;
}

/** Adopt recorded unlabelled objects (all not yet adopted, or those named); returns the newly adopted. */
export async function adoptUnlabelled(q: Queryable, by: string, dockerIds?: string[]): Promise<UnlabelledObjectRow[]> {
  const { rows } = await q.query<UnlabelledObjectRow>(
    `update unlabelled_objects set adopted_at = now(), adopted_by = $1
      where adopted_at is null and ($2::text[] is null or docker_id = any($2::text[]))
      returning *`,
    [by, dockerIds ?? null],
  );
  return rows;
}

/** Forget objects that no longer exist on the engine. */
export async function forgetUnlabelled(q: Queryable, stillPresent: string[]): Promise<number> {
  const { rowCount } = await q.query('delete from unlabelled_objects where not (docker_id = any($1::text[]))', [stillPresent]);
  return rowCount ?? 0;
}

/** Which of these ids are workspaces of this installation (in any status)? */
export async function existingWorkspaceIds(q: Queryable, ids: string[]): Promise<Set<string>> {
  const uuids = ids.filter((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id));
  if (uuids.length === 0) return new Set();
  const { rows } = await q.query<{ id: string }>('select id::text from workspaces where id = any($1::uuid[])', [uuids]);
  return new Set(rows.map((r) => r.id));
}
