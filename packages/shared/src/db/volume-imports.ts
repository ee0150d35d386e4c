import type { Queryable } from './pool.ts';

export interface VolumeImportRow {
  workspace_id: string;
  from_host: string;
  archive: Buffer;
  files: number;
  created_at: Date;
}

/** Keep the tar of a config volume copied off `fromHost` (replacing an older one). */
export async function saveVolumeImport(q: Queryable, v: { workspaceId: string; fromHost: string; archive: Buffer; files: number }): Promise<void> {
  await q.query(
    `insert into volume_imports (workspace_id, from_host, archive, files) values ($1::uuid, $2, $3, $4::int)
     on conflict (workspace_id) do update set from_host = excluded.from_host, archive = excluded.archive, files = excluded.files, created_at = now()`,
    [v.workspaceId, v.fromHost, v.archive, v.files],
  );
}

export async function getVolumeImport(q: Queryable, workspaceId: string): Promise<VolumeImportRow | undefined> {
  const { rows } = await q.query<VolumeImportRow>('select * from volume_imports where workspace_id = $1::uuid', [workspaceId]);
  return rows[0];
}

export async function deleteVolumeImport(q: Queryable, workspaceId: string): Promise<void> {
  await q.query('delete from volume_imports where workspace_id = $1::uuid', [workspaceId]);
}
